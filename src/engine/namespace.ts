import {KvError} from './errors.js'
import {checkListLimit, checkTtl, encodeKey, encodePrefix, encodeValue, MAX_KEY_BYTES, type ValueInput} from './limits.js'
import type {Store, StoredKey} from './store/store.js'

/** Milliseconds since the epoch. Injected so tests can move time instead of sleeping. */
export type Clock = () => number

export type ValueType = 'text' | 'json' | 'bytes'

export interface PutOptions {
  /** Time-to-live in seconds. Without it, any existing expiration is removed. */
  expiresIn?: number | null
}

export interface ListOptions {
  /** Only keys that start with this string (matched literally, byte for byte). */
  prefix?: string
  /** At most this many keys (default 1000). */
  limit?: number
}

export interface ListPageOptions extends ListOptions {
  /** Where the previous page stopped, as returned in its `cursor`. */
  cursor?: string | null
}

export interface ListedKey {
  name: string
  /** When the key expires (ms since the epoch), or null. */
  expiresAt: number | null
}

export interface ListPage {
  keys: ListedKey[]
  /** Pass to the next call to continue; null when the list is complete. */
  cursor: string | null
  complete: boolean
}

export interface Entry {
  value: Uint8Array
  expiresAt: number | null
}

/** Expired keys each write removes as it goes, so reclaiming never stalls one write for long. */
export const RECLAIM_PER_WRITE = 64
const RECLAIM_BATCH = 1000

const utf8Decoder = new TextDecoder()

/**
 * The binding: the spec's get / put / delete / list over one namespace, with the limits and expiry rules
 * applied here and nowhere else. An expired key is never returned, listed or counted, whether or not it
 * has been physically reclaimed yet.
 */
export class Namespace {
  constructor(
    readonly name: string,
    private readonly store: Store,
    private readonly clock: Clock = Date.now,
  ) {}

  get(key: string, type?: 'text' | {type: 'text'}): Promise<string | null>
  get<T = unknown>(key: string, type: 'json' | {type: 'json'}): Promise<T | null>
  get(key: string, type: 'bytes' | {type: 'bytes'}): Promise<Uint8Array | null>
  async get(key: string, type: ValueType | {type: ValueType} = 'text'): Promise<unknown> {
    const entry = await this.getEntry(key)
    if (entry === null) return null
    const wanted = typeof type === 'string' ? type : type.type
    if (wanted === 'bytes') return entry.value
    const text = utf8Decoder.decode(entry.value)
    if (wanted === 'text') return text
    if (wanted === 'json') {
      try {
        return JSON.parse(text)
      } catch {
        throw new KvError('VALUE_INVALID', `the value of key ${JSON.stringify(key)} is not valid JSON`)
      }
    }
    throw new KvError('VALUE_INVALID', `unknown value type ${JSON.stringify(wanted)}: use "text", "json" or "bytes"`)
  }

  /** The value's bytes and expiry time, or null when the key is missing or expired. */
  async getEntry(key: string): Promise<Entry | null> {
    const stored = await this.store.read(encodeKey(key))
    if (stored === undefined || !this.isLive(stored.expiresAt)) return null
    return stored
  }

  async put(key: string, value: ValueInput, options?: PutOptions): Promise<void> {
    const keyBytes = encodeKey(key)
    const valueBytes = encodeValue(value)
    const now = this.clock()
    const expiresIn = options?.expiresIn
    // Ceil: a positive TTL always leaves the key alive for at least a millisecond.
    const expiresAt = expiresIn == null ? null : now + Math.ceil(checkTtl(expiresIn) * 1000)
    await this.store.write([{type: 'put', key: keyBytes, value: valueBytes, expiresAt}], {now, max: RECLAIM_PER_WRITE})
  }

  /** Deletes a key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.deleteMany([key])
  }

  /** Deletes several keys in one transaction: all of them or, when any key is invalid, none. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const ops = keys.map((key) => ({type: 'delete' as const, key: encodeKey(key)}))
    await this.store.write(ops, {now: this.clock(), max: RECLAIM_PER_WRITE})
  }

  /** Live key names in UTF-8 byte order, as the spec's `list` returns them. */
  async list(options?: ListOptions): Promise<string[]> {
    const page = await this.listPage(options)
    return page.keys.map((key) => key.name)
  }

  /** One page of live keys with their expiry times, and a cursor to walk any number of keys. */
  async listPage(options: ListPageOptions = {}): Promise<ListPage> {
    const limit = checkListLimit(options.limit)
    const prefix = encodePrefix(options.prefix)
    if (prefix === null) return {keys: [], cursor: null, complete: true}
    const end = prefixEnd(prefix)
    let start = options.cursor == null ? prefix : maxBytes(prefix, successor(decodeCursor(options.cursor)))

    // Gather one key more than asked for: it tells whether the list is complete.
    const live: StoredKey[] = []
    const now = this.clock()
    while (live.length <= limit) {
      const wanted = limit + 1 - live.length
      const batch = await this.store.scan({start, end, limit: wanted})
      for (const stored of batch) if (this.isLive(stored.expiresAt, now)) live.push(stored)
      if (batch.length < wanted) break
      start = successor(batch[batch.length - 1].key)
    }

    const complete = live.length <= limit
    const page = complete ? live : live.slice(0, limit)
    return {
      keys: page.map(({key, expiresAt}) => ({name: utf8Decoder.decode(key), expiresAt})),
      cursor: complete ? null : encodeCursor(page[page.length - 1].key),
      complete,
    }
  }

  /** Physically removes every expired key; returns how many went. */
  async purgeExpired(): Promise<number> {
    const now = this.clock()
    let total = 0
    for (;;) {
      const removed = await this.store.reclaimExpired(now, RECLAIM_BATCH)
      total += removed
      if (removed < RECLAIM_BATCH) return total
    }
  }

  async close(): Promise<void> {
    await this.store.close()
  }

  private isLive(expiresAt: number | null, now = this.clock()): boolean {
    return expiresAt === null || expiresAt > now
  }
}

/** The first key after every key that starts with `prefix`, or undefined when there is none. */
function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] < 0xff) {
      const end = prefix.slice(0, i + 1)
      end[i]++
      return end
    }
  }
  return undefined
}

/** The smallest key greater than `key`. */
function successor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1)
  next.set(key)
  return next
}

function maxBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Buffer.compare(a, b) >= 0 ? a : b
}

/** A cursor is the last key of a page, base64url-encoded: opaque to callers, stable across processes. */
function encodeCursor(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64url')
}

function decodeCursor(cursor: unknown): Uint8Array {
  if (typeof cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(cursor)) {
    const key = Buffer.from(cursor, 'base64url')
    if (key.length > 0 && key.length <= MAX_KEY_BYTES) return key
  }
  throw new KvError('CURSOR_INVALID', 'invalid cursor: pass the cursor exactly as a previous list returned it')
}
