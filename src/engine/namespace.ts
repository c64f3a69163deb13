import {KvError} from './errors.js'
import {decodeCursor, encodeCursor, maxBytes, prefixEnd, successor} from './key-range.js'
import {decodeValue, expiryTime, newEntry, parseCounter, parseStored, precondition, toEntry} from './entry.js'
import {causeOf, defaultActor, NamespaceHistory} from './history.js'
import {checkActor, checkInteger, checkListLimit, checkTtl, DEFAULT_LIST_LIMIT, encodeKey, encodePrefix, lookupKey, type ValueInput} from './limits.js'
import {backOff, keptChanging, OPTIMISTIC_TRIES} from './optimistic.js'
import {revert} from './revert.js'
import {closedStore} from './store/closed.js'
import type {ChangeCause, NewEntry, Precondition, Store, StoredKey, WriteOp, WriteResult} from './store/store.js'
import type {
  ActorOptions,
  Batch,
  Clock,
  DeleteResult,
  Entry,
  EntryWithName,
  HistoryOptions,
  HistoryPage,
  HistoryRetention,
  HistoryState,
  IncrOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  NamespaceStats,
  PutAllOptions,
  PutAllResult,
  PutOptions,
  PutRecord,
  RevertOptions,
  RevertResult,
  Revisions,
  ValueType,
  ValueWithMetadata,
} from './types.js'

export type * from './types.js'

/**
 * Expired keys a write removes as it goes: two for each key it stores with an expiry time, so expired keys
 * never pile up faster than expiring keys are written, and a backlog shrinks while they are. Removing one
 * expired key writes a few pages of its own (its entries sit among the others, in no particular order): a
 * write that stores no expiring key removes none, so its cost does not depend on how many expired keys wait
 * (64 on every write made a one-key put in a 5,000,000-key namespace with a tenth expired write 260 pages
 * instead of 10). `purgeExpired` removes them all.
 */
export const RECLAIM_PER_EXPIRING_KEY = 2
/** Keys `purgeExpired` removes per transaction, and the most any write reclaims. */
export const RECLAIM_BATCH = 1000
/** Ops of one `deleteMany` or `batch` applied as one plain write; more go through the store's `writeAll`. */
const ONE_WRITE_OPS = 1000

const utf8Decoder = new TextDecoder()
const utf8Encoder = new TextEncoder()

/**
 * The binding: the spec's get / put / delete / list over one namespace, with the limits and expiry rules
 * applied here and nowhere else, whatever the store. An expired key is never returned, listed or counted,
 * whether or not it has been physically reclaimed yet.
 */
export class Namespace {
  /** Who this namespace's writes are made by, unless a write says otherwise (recorded in the history). */
  readonly actor: string
  /** The history, over `store` (replaced with it on close). */
  private past: NamespaceHistory
  /** What a plain put records as its cause: one object for every put of the default actor. */
  private readonly putCause: ChangeCause

  constructor(
    readonly name: string,
    // Not readonly: close() swaps in a store whose every call fails with NAMESPACE_CLOSED.
    private store: Store,
    private readonly clock: Clock = Date.now,
    actor?: string,
  ) {
    this.actor = actor === undefined ? defaultActor() : checkActor(actor)
    this.past = new NamespaceHistory(name, store.history)
    this.putCause = causeOf('put', this.actor)
  }

  get(key: string, type?: 'text' | {type?: 'text'; revision?: number}): Promise<string | null>
  get<T = unknown>(key: string, type: 'json' | {type: 'json'; revision?: number}): Promise<T | null>
  get(key: string, type: 'bytes' | {type: 'bytes'; revision?: number}): Promise<Uint8Array | null>
  get(keys: readonly string[], type?: 'text' | {type: 'text'}): Promise<Map<string, string | null>>
  get<T = unknown>(keys: readonly string[], type: 'json' | {type: 'json'}): Promise<Map<string, T | null>>
  get(keys: readonly string[], type: 'bytes' | {type: 'bytes'}): Promise<Map<string, Uint8Array | null>>
  get(key: string | readonly string[], type: ValueType | {type?: ValueType; revision?: number} = 'text'): Promise<unknown> {
    // Not async, and text and JSON are decoded by the store's getValue straight from the bytes it read (no
    // entry object, no copy): a get is the hot path of every app.
    const wanted = typeof type === 'string' ? type : (type.type ?? 'text')
    if (typeof key !== 'string' && Array.isArray(key)) return this.getMap(key, wanted)
    if (typeof type === 'object' && type.revision !== undefined) {
      return this.getEntry(key as string, {revision: type.revision}).then((entry) => (entry === null ? null : decodeValue(key as string, entry.value, wanted)))
    }
    let bytes: Uint8Array
    try {
      // For getValue, which is done with the key when it returns; `get` may keep it, so it gets its own.
      bytes = wanted === 'bytes' ? encodeKey(key) : lookupKey(key)
    } catch (error) {
      return Promise.reject(error)
    }
    if (wanted === 'text') return this.store.getValue(bytes, this.decodeText)
    // Bytes are the caller's to keep: they come from `get`, which copies them out of the store's buffers.
    if (wanted === 'bytes') return this.store.get(bytes).then((stored) => (stored === undefined || !this.isLive(stored.expiresAt) ? null : stored.value))
    return this.store.getValue(bytes, (value, expiresAt) => (value === undefined || !this.isLive(expiresAt) ? null : decodeValue(key as string, value, wanted)))
  }

  /** A text get's decode: one function for every call, so a get makes no closure. */
  private readonly decodeText = (value: Uint8Array | undefined, expiresAt: number | null): string | null =>
    value === undefined || !this.isLive(expiresAt) ? null : utf8Decoder.decode(value)

  private async getMap(keys: readonly string[], wanted: ValueType): Promise<Map<string, unknown>> {
    const entries = await this.getEntries(keys)
    return new Map(Array.from(entries, ([name, entry]) => [name, entry === null ? null : decodeValue(name, entry.value, wanted)]))
  }

  /** The value and its metadata (both null for a missing or expired key), as Workers KV's getWithMetadata. */
  async getWithMetadata<T = unknown>(key: string, type: ValueType | {type: ValueType} = 'text'): Promise<ValueWithMetadata<T>> {
    const entry = await this.getEntry(key)
    if (entry === null) return {value: null, metadata: null}
    return {value: decodeValue(key, entry.value, typeof type === 'string' ? type : type.type) as T, metadata: entry.metadata}
  }

  /**
   * The value's bytes, expiry time, metadata, version and revision, or null when the key is missing or
   * expired. With `revision`: as it was right after that revision committed (null when it did not exist or
   * had expired then); REVISION_COMPACTED when the history no longer reaches back that far.
   */
  async getEntry(key: string, options: {revision?: number} = {}): Promise<Entry | null> {
    const bytes = encodeKey(key)
    if (options.revision !== undefined) {
      const revision = await this.past.checkReadable(options.revision)
      const {at, entries} = this.past.unlessCompacted(await this.store.history.entriesAt([bytes], revision))
      return entries[0] === undefined || !this.isLive(entries[0].expiresAt, at) ? null : toEntry(entries[0])
    }
    const stored = await this.store.get(bytes)
    return stored === undefined || !this.isLive(stored.expiresAt) ? null : toEntry(stored)
  }

  /** Several keys read from one consistent view: each key's entry, or null when missing or expired. */
  async getEntries(keys: readonly string[]): Promise<Map<string, Entry | null>> {
    const stored = await this.store.getMany(keys.map((key) => encodeKey(key)))
    const now = this.clock()
    return new Map(keys.map((key, i) => [key, stored[i] === undefined || !this.isLive(stored[i]!.expiresAt, now) ? null : toEntry(stored[i]!)]))
  }

  /**
   * Stores a value. Resolves to true when it was written: always, unless `ifAbsent` or `ifVersion` was given
   * and the key did not match (then nothing was written).
   */
  put(key: string, value: ValueInput, options?: PutOptions): Promise<boolean> {
    // Not async: apps make many puts at once, and each await would cost a promise and a turn of its own.
    let op: WriteOp
    let cause = this.putCause
    const now = this.clock()
    try {
      op = {type: 'put', key: encodeKey(key), entry: newEntry(value, options, now)}
      if (options?.ifAbsent || options?.ifVersion !== undefined) op.if = precondition(options)
      if (options?.actor !== undefined) cause = this.causeOf('put', options)
    } catch (error) {
      return Promise.reject(error)
    }
    const written = this.store.write([op], {now, reclaim: reclaimFor(op.entry.expiresAt === null ? 0 : 1), cause})
    // A store may answer many puts with one promise (LMDB: the plain puts of one transaction): map it once.
    if (written !== this.lastWrite) {
      this.lastWrite = written
      this.lastApplied = written.then(wasApplied)
    }
    return this.lastApplied!
  }

  private lastWrite: Promise<WriteResult> | undefined
  private lastApplied: Promise<boolean> | undefined

  /**
   * Puts any number of records, read as they come (an import): all of them, or none when `records` throws
   * or a record is invalid. Later records win over earlier ones for the same key; with `ifAbsent`, only
   * records whose key is missing or expired are written (so of several for one key, the first), the others
   * are left as they are and counted in `skipped`. Resolves to the revisions it made (null when it wrote
   * nothing).
   */
  async putAll(records: AsyncIterable<readonly PutRecord[]>, options: PutAllOptions = {}): Promise<PutAllResult> {
    const now = this.clock()
    const cause = this.causeOf(options.operation ?? 'import', options)
    const {revisions, skipped} = await this.store.writeAll(this.putOps(records, now, options.ifAbsent === true), {now, reclaim: reclaimFor, cause})
    return {revisions, skipped}
  }

  private async *putOps(records: AsyncIterable<readonly PutRecord[]>, now: number, ifAbsent: boolean): AsyncGenerator<WriteOp[]> {
    for await (const chunk of records) {
      yield chunk.map(({key, value, options, source}): WriteOp => {
        try {
          const op: WriteOp = {type: 'put', key: encodeKey(key), entry: newEntry(value, options, now)}
          if (ifAbsent) op.if = {absent: true}
          return op
        } catch (error) {
          if (source !== undefined && error instanceof KvError) throw new KvError(error.code, `${source}: ${error.message}`)
          throw error
        }
      })
    }
  }

  /**
   * Runs `body`, then commits its puts and deletes together, or none when it throws (a bad key or value
   * included). Keys it read with `getEntry` must not have changed meanwhile: when one did, nothing is
   * written and `body` runs again (so keep it free of other side effects), as etcd's and FoundationDB's
   * optimistic transactions do.
   */
  async batch<T>(body: (batch: Batch) => T | Promise<T>, options: ActorOptions = {}): Promise<T> {
    const cause = this.causeOf('batch', options)
    for (let attempt = 1; ; attempt++) {
      const now = this.clock()
      const ops: WriteOp[] = []
      const checks = new Map<string, WriteOp>()
      /**
       * What getEntry answers, by key (hex): the batch's own writes, then what it read. Built only once the
       * body first reads, so a batch that only writes (an import) pays nothing for it.
       */
      let seen: Map<string, Entry | null> | undefined
      const see = (op: WriteOp) => {
        const entry = op.type === 'put' && this.isLive(op.entry.expiresAt, now) ? {...op.entry, metadata: parseStored(op.entry.metadata), version: '', revision: 0} : null
        seen!.set(Buffer.from(op.key).toString('hex'), entry)
      }
      const result = await body({
        getEntry: async (key) => {
          const bytes = encodeKey(key)
          if (seen === undefined) {
            seen = new Map()
            for (const op of ops) see(op)
          }
          const id = Buffer.from(bytes).toString('hex')
          if (seen.has(id)) return seen.get(id)!
          const stored = await this.store.get(bytes)
          const entry = stored === undefined || !this.isLive(stored.expiresAt, now) ? null : toEntry(stored)
          if (!seen.has(id)) {
            seen.set(id, entry)
            checks.set(id, {type: 'check', key: bytes, if: entry === null ? {absent: true} : {version: stored!.version}})
          }
          return seen.get(id)!
        },
        put: (key, value, options) => {
          const op: WriteOp = {type: 'put', key: encodeKey(key), entry: newEntry(value, options, now)}
          ops.push(op)
          if (seen !== undefined) see(op)
        },
        delete: (key) => {
          const op: WriteOp = {type: 'delete', key: encodeKey(key)}
          ops.push(op)
          if (seen !== undefined) see(op)
        },
      })
      if (checks.size === 0 && ops.length > ONE_WRITE_OPS) {
        // Nothing read, so nothing to check: a big batch goes through the store's all-or-nothing bulk path.
        await this.store.writeAll(inChunks(ops, ONE_WRITE_OPS), {now, reclaim: reclaimFor, cause})
        return result
      }
      const outcome = await this.store.write([...checks.values(), ...ops], {now, reclaim: reclaimFor(expiringPuts(ops)), cause})
      if (outcome.applied) return result
      if (attempt >= OPTIMISTIC_TRIES) throw keptChanging()
      await backOff(attempt)
    }
  }

  /**
   * Atomically adds `by` to the integer stored at `key` (a missing or expired key counts as 0) and returns
   * the new value; the key's metadata and expiration are kept. Safe across processes: concurrent increments
   * never lose one another (each writes only if the key is still as it read it, and tries again otherwise).
   */
  async incr(key: string, options: IncrOptions = {}): Promise<number> {
    const keyBytes = encodeKey(key)
    const by = checkInteger(options.by ?? 1, 'the increment')
    const expiresIn = options.expiresIn == null ? null : checkTtl(options.expiresIn)
    const cause = this.causeOf('incr', options)
    for (let attempt = 1; ; attempt++) {
      const now = this.clock()
      const stored = await this.store.get(keyBytes)
      const current = stored !== undefined && this.isLive(stored.expiresAt, now) ? stored : undefined
      const next = (current === undefined ? 0 : parseCounter(key, current.value)) + by
      if (!Number.isSafeInteger(next)) {
        throw new KvError('VALUE_INVALID', `incrementing key ${JSON.stringify(key)} would leave the safe integer range (±2^53-1)`)
      }
      const entry: NewEntry = {
        value: utf8Encoder.encode(String(next)),
        expiresAt: current === undefined ? expiryTime({expiresIn}, now) : current.expiresAt,
        metadata: current === undefined ? null : current.metadata,
      }
      const condition: Precondition = current === undefined ? {absent: true} : {version: current.version}
      const outcome = await this.store.write([{type: 'put', key: keyBytes, entry, if: condition}], {
        now,
        reclaim: reclaimFor(entry.expiresAt === null ? 0 : 1),
        cause,
      })
      if (outcome.applied) return next
      if (attempt >= OPTIMISTIC_TRIES) throw keptChanging()
      await backOff(attempt)
    }
  }

  /** Deletes a key; a missing key is not an error. */
  async delete(key: string, options: ActorOptions = {}): Promise<void> {
    await this.deleteMany([key], options)
  }

  /**
   * Deletes several keys in one transaction: all of them or, when any key is invalid, none. Returns how many
   * of them were live (missing keys are fine).
   */
  async deleteMany(keys: readonly string[], options: ActorOptions = {}): Promise<number> {
    return (await this.deleteKeys({keys}, options)).deleted
  }

  /** Deletes every live key that starts with `prefix` ('' is every key); returns how many. */
  async deletePrefix(prefix: string, options: ActorOptions = {}): Promise<number> {
    return (await this.deleteKeys({prefix}, options)).deleted
  }

  /**
   * `deleteMany` or `deletePrefix`, saying also which revisions did it: `revert` to the one before the first
   * undoes it (what `kv delete --prefix` and `kv ns clean` print).
   */
  async deleteKeys(which: {keys: readonly string[]} | {prefix: string}, options: ActorOptions = {}): Promise<DeleteResult> {
    const now = this.clock()
    const cause = this.causeOf('delete', options)
    if ('prefix' in which) {
      const start = encodePrefix(which.prefix)
      if (start === null) return {deleted: 0, revisions: null}
      const {deletedLive, revisions} = await this.store.deleteRange({start, end: prefixEnd(start)}, {now, cause})
      return {deleted: deletedLive, revisions}
    }
    const ops = which.keys.map((key): WriteOp => ({type: 'delete', key: encodeKey(key)}))
    if (ops.length <= ONE_WRITE_OPS) {
      const outcome = await this.store.write(ops, {now, reclaim: 0, cause})
      if (!outcome.applied) return {deleted: 0, revisions: null}
      const revision = outcome.revision ?? null
      return {deleted: outcome.wasLive.filter(Boolean).length, revisions: revision === null ? null : {first: revision, last: revision}}
    }
    const {deletedLive, revisions} = await this.store.writeAll(inChunks(ops, ONE_WRITE_OPS), {now, reclaim: reclaimFor, cause})
    return {deleted: deletedLive, revisions}
  }

  /**
   * Every live entry (optionally under a prefix) in byte order, read lazily: on LMDB from one snapshot taken
   * at the first step (writes made meanwhile are not seen). Finish or break the loop to release it.
   */
  async *entries(options: {prefix?: string} = {}): AsyncGenerator<EntryWithName, void, undefined> {
    const start = encodePrefix(options.prefix)
    if (start === null) return
    const now = this.clock()
    for await (const batch of this.store.entries({start, end: prefixEnd(start)})) {
      for (const stored of batch) {
        if (this.isLive(stored.expiresAt, now)) yield {name: utf8Decoder.decode(stored.key), ...toEntry(stored)}
      }
    }
  }

  /** Key counts and size, in time that does not grow with the namespace (only with its expired keys). */
  async stats(): Promise<NamespaceStats> {
    const [{entries, withExpiry, expired, reclaimable, bytesOnDisk}, {revision}] = await Promise.all([this.store.stats(this.clock()), this.store.history.state()])
    return {keys: entries - expired, expiring: withExpiry - expired, expired, reclaimable, bytesOnDisk, revision}
  }

  /**
   * Live key names in UTF-8 byte order, as the spec's `list` returns them: at most `limit` (default 1,000)
   * of them; `keys` yields every one.
   */
  async list(options?: ListOptions): Promise<string[]> {
    const page = await this.listPage(options)
    return page.keys.map((key) => key.name)
  }

  /**
   * Every live key name (optionally under a prefix) in UTF-8 byte order, a page at a time: each page is read
   * from one consistent view, and the loop may write meanwhile (delete each key, say).
   */
  async *keys(options: {prefix?: string} = {}): AsyncGenerator<string, void, undefined> {
    let cursor: string | null = null
    do {
      const page: ListPage = await this.listPage({prefix: options.prefix, limit: DEFAULT_LIST_LIMIT, cursor})
      for (const key of page.keys) yield key.name
      cursor = page.cursor
    } while (cursor !== null)
  }

  /** One page of live keys with their expiry times and metadata, and a cursor to walk any number of keys. */
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
      keys: page.map(({key, expiresAt, metadata, revision}) => ({name: utf8Decoder.decode(key), expiresAt, metadata: parseStored(metadata), revision})),
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

  /** The current revision, the oldest one still readable, and how much history the namespace keeps. */
  historyState(): Promise<HistoryState> {
    return this.past.state()
  }

  /** Changes how much history the namespace keeps (`false`: none); what is beyond it goes gradually. */
  setHistory(retention: HistoryRetention): Promise<void> {
    return this.past.setRetention(retention, this.clock())
  }

  /**
   * Changes, newest first, with who made them and when: one key's (`key`), or the namespace's log (under
   * `prefix`), a page at a time.
   */
  history(options: HistoryOptions = {}): Promise<HistoryPage> {
    return this.past.changes(options)
  }

  /**
   * Puts a key, or every key with a prefix, back as it was right after revision `to`, as one new revision
   * (itself a change that can be reverted); resolves to what changed (with `dryRun`, what would).
   */
  revert(options: RevertOptions): Promise<RevertResult> {
    return revert(this.store, this.past, this.clock, this.causeOf('revert', options).actor, options, reclaimFor)
  }

  async close(): Promise<void> {
    const store = this.store
    this.store = closedStore(this.name)
    this.past = new NamespaceHistory(this.name, this.store.history)
    await store.close()
  }

  private causeOf(operation: string, options: ActorOptions): ChangeCause {
    return causeOf(operation, options.actor === undefined ? this.actor : checkActor(options.actor))
  }

  private isLive(expiresAt: number | null, now?: number): boolean {
    return expiresAt === null || expiresAt > (now ?? this.clock())
  }
}

function wasApplied(result: WriteResult): boolean {
  return result.applied
}

/** How many expired keys a write that stored `expiringPuts` keys with an expiry time removes. */
function reclaimFor(expiringPuts: number): number {
  return Math.min(RECLAIM_BATCH, RECLAIM_PER_EXPIRING_KEY * expiringPuts)
}

function expiringPuts(ops: readonly WriteOp[]): number {
  let count = 0
  for (const op of ops) if (op.type === 'put' && op.entry.expiresAt !== null) count++
  return count
}

async function* inChunks<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}
