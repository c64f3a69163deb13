import {decodeKey, decodeRecord, recordExpiry, recordValue} from '../record.js'
import type {
  ChangeCause,
  KeyedEntry,
  KeyRange,
  ReclaimFor,
  RevisionSpan,
  ScanRange,
  Store,
  StoredEntry,
  StoredKey,
  StoreStats,
  WriteAllResult,
  WriteOp,
  WriteResult,
} from '../store.js'
import {HISTORY_KEY, type Bytes, type Environment} from './environment.js'
import {decodeHistoryMeta, reclaimHorizon} from './history-meta.js'
import {causedBy, storageCall} from './errors.js'
import {bytesOnDisk, type WriteBaseGuard} from './files.js'
import type {ProcessGate} from './gate.js'
import {LmdbHistory} from './history.js'
import {encodeTime} from './time.js'
import {LmdbWriter} from './writes.js'

/** Entries an export reads per batch: enough to keep the per-batch cost small, few enough to stay bounded. */
const ENTRIES_PER_BATCH = 256

/** One namespace: one LMDB environment (store/lmdb/environment.ts), read here, written by LmdbWriter. */
export class LmdbStore implements Store {
  private readonly writer: LmdbWriter
  readonly history: LmdbHistory

  constructor(
    private readonly name: string,
    private readonly directory: string,
    private readonly env: Environment,
    private readonly guard: WriteBaseGuard,
    private readonly gate: ProcessGate,
  ) {
    this.writer = new LmdbWriter(name, env, guard, gate)
    this.history = new LmdbHistory(env, this.writer, async (work) => {
      if (this.gate.pending) await this.gate.pending.catch(() => {})
      return this.reading(work)
    })
  }

  /** Run once on open: see WriteBaseGuard. */
  repairWriteBase(): Promise<void> {
    return this.writer.repairWriteBase()
  }

  get(key: Uint8Array): Promise<StoredEntry | undefined> {
    if (this.gate.pending) return this.gate.pending.catch(() => {}).then(() => this.get(key))
    // The hot path of every app: one lookup and no closure, unless the read fails (see `reading`).
    try {
      const record = this.env.records.get(key)
      return Promise.resolve(record === undefined ? undefined : decodeRecord(record))
    } catch {
      return Promise.resolve().then(() =>
        this.reading(() => {
          const record = this.env.records.get(key)
          return record === undefined ? undefined : decodeRecord(record)
        }),
      )
    }
  }

  getValue<T>(key: Uint8Array, decode: (value: Uint8Array | undefined, expiresAt: number | null) => T): Promise<T> {
    if (this.gate.pending) {
      const kept = key.slice()
      return this.gate.pending.catch(() => {}).then(() => this.getValue(kept, decode))
    }
    // No copy: lmdb-js's getBinaryFast returns a view of the buffer it reuses for every read, which `decode`
    // turns into what the caller keeps before anything else can read.
    let record: Uint8Array | undefined
    try {
      record = this.env.records.getBinaryFast(key)
    } catch {
      const kept = key.slice()
      return Promise.resolve().then(() => decodeWith(this.reading(() => this.env.records.getBinaryFast(kept)), decode))
    }
    try {
      return Promise.resolve(decodeWith(record, decode))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(StoredEntry | undefined)[]> {
    if (this.gate.pending) await this.gate.pending.catch(() => {})
    // Reads made in one event turn share lmdb-js's read snapshot.
    return this.reading(() =>
      keys.map((key) => {
        const record = this.env.records.get(key)
        return record === undefined ? undefined : decodeRecord(record)
      }),
    )
  }

  write(ops: readonly WriteOp[], {now, reclaim, cause}: {now: number; reclaim: number; cause: ChangeCause}): Promise<WriteResult> {
    return this.writer.write(ops, now, reclaim, cause)
  }

  writeAll(
    chunks: AsyncIterable<readonly WriteOp[]>,
    {now, reclaim, cause}: {now: number; reclaim: ReclaimFor; cause: ChangeCause},
  ): Promise<WriteAllResult> {
    return this.writer.writeAll(chunks, now, reclaim, cause)
  }

  deleteRange(range: KeyRange, {now, cause}: {now: number; cause: ChangeCause}): Promise<{deletedLive: number; revisions: RevisionSpan | null}> {
    return this.writer.deleteRange(range, now, cause)
  }

  async scan({start, end, limit}: ScanRange): Promise<StoredKey[]> {
    if (this.gate.pending) await this.gate.pending.catch(() => {})
    return this.reading(() => Array.from(this.env.records.getRange({start, end, limit}), ({key, value}) => decodeKey(key, value)))
  }

  async *entries({start, end}: KeyRange): AsyncGenerator<KeyedEntry[], void, undefined> {
    // The snapshot and its cursor must not be made while this process has a long write open (lmdb-js would
    // read through it); once made, they read the snapshot whatever happens.
    await this.gate.enter()
    let transaction: ReturnType<Environment['root']['useReadTransaction']>
    let range: Iterator<{key: Uint8Array; value: Uint8Array}>
    let next: IteratorResult<{key: Uint8Array; value: Uint8Array}>
    try {
      transaction = storageCall(this.name, () => this.env.root.useReadTransaction())
      range = storageCall(this.name, () => this.env.records.getRange({start, end, transaction})[Symbol.iterator]())
      next = storageCall(this.name, () => range.next())
    } finally {
      this.gate.leave()
    }
    try {
      let batch: KeyedEntry[] = []
      for (; !next.done; next = storageCall(this.name, () => range.next())) {
        batch.push({key: next.value.key, ...decodeRecord(next.value.value)})
        if (batch.length === ENTRIES_PER_BATCH) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
    } finally {
      range.return?.()
      transaction.done()
    }
  }

  async stats(now: number): Promise<StoreStats> {
    if (this.gate.pending) await this.gate.pending.catch(() => {})
    return storageCall(this.name, () => {
      const expired = this.env.expiryIndex.getKeysCount({end: encodeTime(now + 1)})
      const horizon = reclaimHorizon(decodeHistoryMeta(this.env.meta.get(HISTORY_KEY)!), now)
      return {
        entries: entryCount(this.env.records),
        withExpiry: entryCount(this.env.expiries),
        expired,
        reclaimable: horizon === now ? expired : this.env.expiryIndex.getKeysCount({end: encodeTime(horizon + 1)}),
        bytesOnDisk: bytesOnDisk(this.directory),
      }
    })
  }

  reclaimExpired(now: number, max: number): Promise<number> {
    return this.writer.reclaimExpired(now, max)
  }

  async close(): Promise<void> {
    await storageCall(this.name, async () => {
      await this.env.close()
      this.guard.close()
    })
  }

  /**
   * A read, as a storage call. lmdb-js 3.5.6 now and then failed a read when several processes started on one
   * namespace at the same moment ("No transaction to renew"; see the two LMDB bugs in the README): a read can
   * safely run again, so it gets two more tries with a fresh read transaction.
   */
  private reading<R>(read: () => R): R {
    for (let attempt = 1; ; attempt++) {
      try {
        return storageCall(this.name, read)
      } catch (error) {
        if (attempt >= TRANSIENT_TRIES || !causedBy(error, (cause) => TRANSIENT_FAILURE.test(cause.message))) throw error
        try {
          this.env.root.resetReadTxn()
        } catch {
          // Nothing to reset: the next try starts its own.
        }
      }
    }
  }
}

function decodeWith<T>(record: Uint8Array | undefined, decode: (value: Uint8Array | undefined, expiresAt: number | null) => T): T {
  return record === undefined ? decode(undefined, null) : decode(recordValue(record), recordExpiry(record))
}

const TRANSIENT_TRIES = 3
const TRANSIENT_FAILURE = /No transaction to renew|No current read transaction|MDB_BAD_TXN|MDB_PROBLEM|has failed\/finished/

/** lmdb-js types `getStats()` as `{}`; it returns LMDB's MDB_stat, whose `entryCount` is O(1). */
export function entryCount(db: Bytes): number {
  return (db.getStats() as {entryCount: number}).entryCount
}
