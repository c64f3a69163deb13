import {KvError} from './errors.js'
import {prefixEnd} from './key-range.js'
import {decodeValue, isLiveAt, newEntry, precondition, toEntry} from './entry.js'
import {causeOf, defaultActor, NamespaceHistory} from './history.js'
import {checkActor, DEFAULT_LIST_LIMIT, encodeKey, encodePrefix, lookupKey, type ValueInput} from './limits.js'
import {listPage} from './listing.js'
import {increment, runBatch} from './optimistic.js'
import {inChunks, ONE_WRITE_OPS, RECLAIM_BATCH, reclaimFor} from './reclaim.js'
import {revert} from './revert.js'
import {closedStore} from './store/closed.js'
import type {ChangeCause, Store, WriteOp, WriteResult} from './store/store.js'
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
  ValueType,
  ValueWithMetadata,
} from './types.js'

export type * from './types.js'

export {RECLAIM_BATCH, RECLAIM_PER_EXPIRING_KEY} from './reclaim.js'
const utf8Decoder = new TextDecoder()

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
  batch<T>(body: (batch: Batch) => T | Promise<T>, options: ActorOptions = {}): Promise<T> {
    return runBatch(this.store, this.clock, this.causeOf('batch', options), body)
  }

  /**
   * Atomically adds `by` to the integer stored at `key` (a missing or expired key counts as 0) and returns
   * the new value; the key's metadata and expiration are kept. Safe across processes: concurrent increments
   * never lose one another (each writes only if the key is still as it read it, and tries again otherwise).
   */
  incr(key: string, options: IncrOptions = {}): Promise<number> {
    return increment(this.store, this.clock, this.causeOf('incr', options), key, options)
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
  listPage(options: ListPageOptions = {}): Promise<ListPage> {
    return listPage(this.store, this.clock(), options)
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
    return revert(this.store, this.past, this.clock, this.causeOf('revert', options).actor, options)
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
    return isLiveAt(expiresAt, now ?? this.clock())
  }
}

function wasApplied(result: WriteResult): boolean {
  return result.applied
}
