import {KvError} from './errors.js'
import {
  checkExpiration,
  checkInteger,
  checkListLimit,
  checkTtl,
  encodeKey,
  encodePrefix,
  encodeValue,
  MAX_KEY_BYTES,
  type ValueInput,
} from './limits.js'
import type {Store, StoredKey, StoreTransaction, WriteOp} from './store/store.js'

/** Milliseconds since the epoch. Injected so tests can move time instead of sleeping. */
export type Clock = () => number

export type ValueType = 'text' | 'json' | 'bytes'

export interface PutOptions {
  /** Time-to-live in seconds. Without it (or `expiration`), any existing expiration is removed. */
  expiresIn?: number | null
  /** Absolute expiry in seconds since the epoch, as Workers KV's `expiration`; `expiresIn` wins over it. */
  expiration?: number | null
}

export interface IncrOptions {
  /** Added to the counter; may be negative. Default 1. */
  by?: number
  /**
   * Time-to-live in seconds, set only when the counter is created (or had expired): a rate-limit window
   * stays fixed instead of being extended by every hit. An existing expiration is always kept.
   */
  expiresIn?: number | null
}

/** Writes inside `Namespace.batch`: validated as they are made, committed together. */
export interface Batch {
  /** The live entry as this batch sees it (its own writes included), or null. */
  getEntry(key: string): Entry | null
  put(key: string, value: ValueInput, options?: PutOptions): void
  delete(key: string): void
}

export interface NamespaceStats {
  /** Live keys. */
  keys: number
  /** Live keys that have an expiration. */
  expiring: number
  /** Expired keys not yet reclaimed from disk (`purgeExpired` removes them). */
  expired: number
  /** Size of the namespace's files on disk. */
  bytesOnDisk: number
}

export interface EntryWithName extends Entry {
  name: string
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
const utf8Encoder = new TextEncoder()

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

  put(key: string, value: ValueInput, options?: PutOptions): Promise<void> {
    // Not async: apps make many puts at once, and each await would cost a promise and a turn of its own.
    let op: WriteOp
    const now = this.clock()
    try {
      op = {type: 'put', key: encodeKey(key), value: encodeValue(value), expiresAt: expiryTime(options, now)}
    } catch (error) {
      return Promise.reject(error)
    }
    return this.store.write([op], {now, max: RECLAIM_PER_WRITE})
  }

  /**
   * Runs `body` as one transaction: its puts and deletes are all committed together, or none is when it
   * throws (a bad key or value included). It may be async, e.g. to stream an import, and holds the
   * namespace's write lock until it settles, so keep it short when other processes write too.
   */
  async batch<T>(body: (batch: Batch) => T | Promise<T>): Promise<T> {
    const now = this.clock()
    return this.store.update(
      (txn) =>
        body({
          getEntry: (key) => this.liveEntry(txn, encodeKey(key), now),
          put: (key, value, options) => txn.put(encodeKey(key), encodeValue(value), expiryTime(options, now)),
          delete: (key) => txn.delete(encodeKey(key)),
        }),
      {now, max: RECLAIM_PER_WRITE},
    ) as Promise<T>
  }

  /**
   * Atomically adds `by` to the integer stored at `key` (a missing or expired key counts as 0) and returns
   * the new value. Safe across processes: concurrent increments never lose one another.
   */
  async incr(key: string, options: IncrOptions = {}): Promise<number> {
    const keyBytes = encodeKey(key)
    const by = checkInteger(options.by ?? 1, 'the increment')
    const expiresIn = options.expiresIn == null ? null : checkTtl(options.expiresIn)
    const now = this.clock()
    return this.store.update(
      (txn) => {
        const current = this.liveEntry(txn, keyBytes, now)
        const next = (current === null ? 0 : parseCounter(key, current.value)) + by
        if (!Number.isSafeInteger(next)) {
          throw new KvError('VALUE_INVALID', `incrementing key ${JSON.stringify(key)} would leave the safe integer range (±2^53-1)`)
        }
        const expiresAt = current === null ? expiryTime({expiresIn}, now) : current.expiresAt
        txn.put(keyBytes, utf8Encoder.encode(String(next)), expiresAt)
        return next
      },
      {now, max: RECLAIM_PER_WRITE},
    )
  }

  /** Deletes a key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.deleteMany([key])
  }

  /**
   * Deletes several keys in one transaction: all of them or, when any key is invalid, none. Returns how many
   * of them were live (missing keys are fine).
   */
  async deleteMany(keys: readonly string[]): Promise<number> {
    const encoded = keys.map((key) => encodeKey(key))
    const now = this.clock()
    return this.store.update(
      (txn) => {
        let deleted = 0
        for (const key of encoded) {
          if (this.liveEntry(txn, key, now) !== null) deleted++
          txn.delete(key)
        }
        return deleted
      },
      {now, max: RECLAIM_PER_WRITE},
      {rerunnable: true},
    )
  }

  /** Deletes every live key that starts with `prefix` ('' is every key) in one transaction; returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    const start = encodePrefix(prefix)
    if (start === null) return 0
    const end = prefixEnd(start)
    const now = this.clock()
    return this.store.update(
      (txn) => {
        let deleted = 0
        let from = start
        // Collect a chunk before deleting it: LMDB cursors must not see the tree change under them.
        for (;;) {
          const chunk = Array.from(txn.entries({start: from, end, limit: RECLAIM_BATCH}), ({key, expiresAt}) => ({key, expiresAt}))
          for (const {key, expiresAt} of chunk) {
            if (this.isLive(expiresAt, now)) deleted++
            txn.delete(key)
          }
          if (chunk.length < RECLAIM_BATCH) return deleted
          from = successor(chunk[chunk.length - 1].key)
        }
      },
      {now, max: RECLAIM_PER_WRITE},
      {rerunnable: true},
    )
  }

  /**
   * Every live entry (optionally under a prefix) in byte order, read lazily from one snapshot taken at the
   * first step: writes made meanwhile are not seen. Finish or break the loop to release the snapshot.
   */
  *entries(options: {prefix?: string} = {}): Generator<EntryWithName, void, undefined> {
    const start = encodePrefix(options.prefix)
    if (start === null) return
    const snapshot = this.store.snapshot()
    const now = this.clock()
    try {
      for (const {key, value, expiresAt} of snapshot.entries({start, end: prefixEnd(start)})) {
        if (this.isLive(expiresAt, now)) yield {name: utf8Decoder.decode(key), value, expiresAt}
      }
    } finally {
      snapshot.close()
    }
  }

  /** Key counts and size on disk, in time that does not grow with the namespace (only with its expired keys). */
  async stats(): Promise<NamespaceStats> {
    const {entries, withExpiry, expired, bytesOnDisk} = await this.store.stats(this.clock())
    return {keys: entries - expired, expiring: withExpiry - expired, expired, bytesOnDisk}
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

  private liveEntry(txn: StoreTransaction, key: Uint8Array, now: number): Entry | null {
    const stored = txn.get(key)
    return stored === undefined || !this.isLive(stored.expiresAt, now) ? null : stored
  }
}

/** When a put's key expires (ms since the epoch), or null when it does not. */
function expiryTime(options: PutOptions | undefined, now: number): number | null {
  if (options?.expiresIn != null) {
    // Ceil: a positive TTL always leaves the key alive for at least a millisecond.
    return now + Math.ceil(checkTtl(options.expiresIn) * 1000)
  }
  if (options?.expiration != null) return checkExpiration(options.expiration, now) * 1000
  return null
}

/** A counter's stored text: an optionally signed decimal integer, surrounding whitespace allowed. */
function parseCounter(key: string, value: Uint8Array): number {
  const text = utf8Decoder.decode(value).trim()
  const number = Number(text)
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(number)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text
    throw new KvError('VALUE_INVALID', `the value of key ${JSON.stringify(key)} is not an integer (${JSON.stringify(shown)}); incr needs one`)
  }
  return number
}

/** The first key after every key that starts with `prefix`, or undefined when there is none. */
function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] < 0xff) {
      // A copy: keys may be Buffers, whose slice() is a view of the same bytes.
      const end = new Uint8Array(prefix.subarray(0, i + 1))
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
