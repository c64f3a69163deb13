import session, {type SessionData} from 'express-session'

import {KvError} from '../engine/errors.js'
import {MAX_LIST_LIMIT} from '../engine/limits.js'
import type {OpenOptions} from '../engine/open.js'
import {LazyNamespace} from './lazy-namespace.js'

export interface KvSessionStoreOptions extends OpenOptions {
  /** The kv namespace sessions live in (default "default"); created on first use unless `create: false`. */
  namespace?: string
  /** Seconds a session lives when its cookie has no maxAge (a browser-session cookie): default one day. */
  ttl?: number
  /** Prefix of the sessions' keys, followed by the session id: default "sess:". */
  prefix?: string
}

/** As connect-redis and most stores: a session whose cookie sets no lifetime lives a day. */
const DEFAULT_TTL_SECONDS = 86_400

const utf8Decoder = new TextDecoder()

/**
 * An express-session store over a kv namespace: `app.use(session({store: new KvSessionStore({namespace:
 * 'sessions', store: 'redis://…'}), …}))`. A session's key is `<prefix><session id>`, its value the session as
 * JSON, and it expires when the session's cookie does (its maxAge from now), or after `ttl` seconds for a
 * cookie without one: an expired session is never returned or counted. Every process on the namespace sees
 * the same sessions, and they survive a restart.
 */
export class KvSessionStore extends session.Store {
  private readonly kv: LazyNamespace
  private readonly prefix: string
  private readonly ttl: number

  constructor(options: KvSessionStoreOptions = {}) {
    super()
    const {namespace = 'default', ttl = DEFAULT_TTL_SECONDS, prefix = 'sess:', ...location} = options
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
      throw new KvError('TTL_INVALID', `ttl must be a positive number of seconds, got ${String(ttl)}`)
    }
    this.kv = new LazyNamespace(namespace, location)
    this.prefix = prefix
    this.ttl = ttl
  }

  get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    reply(
      this.kv.get().then(async (namespace) => {
        const text = await namespace.get(this.key(sid))
        return text === null ? null : (JSON.parse(text) as SessionData)
      }),
      callback,
    )
  }

  /** Writes the session with its cookie's lifetime; a session whose cookie has expired is removed instead. */
  set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    reply(
      this.kv.get().then(async (namespace) => {
        const expiresIn = this.expiresIn(session)
        if (expiresIn === null) await namespace.delete(this.key(sid))
        else await namespace.put(this.key(sid), JSON.stringify(session), {expiresIn})
      }),
      callback,
    )
  }

  /**
   * Gives a live session its cookie's new lifetime (express-session touches a session a request did not
   * change). A session that is gone meanwhile (destroyed, expired) stays gone.
   */
  override touch(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    reply(
      this.kv.get().then((namespace) =>
        namespace.batch(async (batch) => {
          const entry = await batch.getEntry(this.key(sid))
          if (entry === null) return
          const stored = parseSession(entry.value)
          stored.cookie = session.cookie
          const expiresIn = this.expiresIn(stored)
          if (expiresIn === null) batch.delete(this.key(sid))
          else batch.put(this.key(sid), JSON.stringify(stored), {expiresIn})
        }),
      ),
      callback,
    )
  }

  destroy(sid: string, callback?: (error?: unknown) => void): void {
    reply(
      this.kv.get().then((namespace) => namespace.delete(this.key(sid))),
      callback,
    )
  }

  /** Every live session, each with its session id as `id` (as connect-redis gives them). */
  override all(callback: (error: unknown, sessions?: (SessionData & {id: string})[]) => void): void {
    reply(
      this.kv.get().then(async (namespace) => {
        const sessions: (SessionData & {id: string})[] = []
        for await (const entry of namespace.entries({prefix: this.prefix})) {
          sessions.push({...parseSession(entry.value), id: entry.name.slice(this.prefix.length)})
        }
        return sessions
      }),
      callback,
    )
  }

  /** How many live sessions there are. */
  override length(callback: (error: unknown, length?: number) => void): void {
    reply(
      this.kv.get().then(async (namespace) => {
        let count = 0
        let cursor: string | null = null
        do {
          const page = await namespace.listPage({prefix: this.prefix, limit: MAX_LIST_LIMIT, cursor})
          count += page.keys.length
          cursor = page.cursor
        } while (cursor !== null)
        return count
      }),
      callback,
    )
  }

  /** Deletes every session (the keys under the prefix, and nothing else in the namespace). */
  override clear(callback?: (error?: unknown) => void): void {
    reply(
      this.kv.get().then((namespace) => namespace.deletePrefix(this.prefix)),
      callback,
    )
  }

  /** Releases the namespace (its LMDB environment or Redis connection); a later call opens it again. */
  close(): Promise<void> {
    return this.kv.close()
  }

  /** Seconds from now the session lives: what its cookie has left, else `ttl`; null once the cookie has expired. */
  private expiresIn(session: SessionData): number | null {
    const expires = session.cookie?.expires
    if (expires == null) return this.ttl
    // The cookie's expiry is a Date, or its JSON text in a session read back from the store.
    const remaining = new Date(expires).getTime() - Date.now()
    return remaining > 0 ? remaining / 1000 : null
  }

  private key(sid: string): string {
    return this.prefix + sid
  }
}

function parseSession(value: Uint8Array): SessionData {
  return JSON.parse(utf8Decoder.decode(value)) as SessionData
}

/**
 * Settles a callback from a promise, on a tick of its own (as express-session's memory store does), so that a
 * callback that throws is an uncaught exception of its own, never a rejection of the store's work.
 */
function reply<T>(work: Promise<T>, callback: ((error: unknown, value?: T) => void) | undefined): void {
  work.then(
    (value) => process.nextTick(() => callback?.(null, value)),
    (error: unknown) => process.nextTick(() => callback?.(error)),
  )
}
