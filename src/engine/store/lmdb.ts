import {chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {open, type Database, type RootDatabase, type Transaction} from 'lmdb'

import {KvError} from '../errors.js'
import {checkDataFile, DATA_FILE, StaleWriteBase, WriteBaseGuard} from './lmdb-files.js'
import type {
  ScanRange,
  Store,
  StoreBackend,
  StoredEntry,
  StoredKey,
  StoredValue,
  StoreSnapshot,
  StoreStats,
  StoreTransaction,
  StoreView,
  WriteOp,
} from './store.js'

/**
 * Every process must open an environment with the same flags (mixing sync modes can corrupt it), so they
 * are fixed here. `noSubdir` is explicit because lmdb-js would otherwise guess it from a dot in the path;
 * `overlappingSync: false` makes a resolved write durable, which is what a finished CLI command promises.
 * No `useWritemap`: it would grow the data file sparsely and write through the mapping, so a full disk would
 * kill the process with SIGBUS instead of failing the commit (exit 4). The price is that a transaction's dirty
 * pages live on the heap until LMDB spills them, so a multi-million-record import holds a few hundred MiB.
 */
const ENV_OPTIONS = {noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 4} as const
const DB_OPTIONS = {keyEncoding: 'binary', encoding: 'binary'} as const

/** Namespace directories live under `<dataDir>/namespaces/`, one LMDB environment each. */
const NAMESPACES_DIR = 'namespaces'
/** Prefix of the private directory a namespace is built in before it is renamed into place. */
const CREATING_PREFIX = '.creating-'
/** Prefix a deleted namespace is renamed to before its files are removed. */
const DELETING_PREFIX = '.deleting-'
const PRIVATE_DIR = 0o700
const PRIVATE_FILE = 0o600
const EMPTY = new Uint8Array(0)

type Bytes = Database<Uint8Array, Uint8Array>

export class LmdbBackend implements StoreBackend {
  readonly root: string

  constructor(dataDir: string) {
    this.root = join(dataDir, NAMESPACES_DIR)
  }

  async exists(name: string): Promise<boolean> {
    return isDirectory(this.directoryOf(name))
  }

  /** Builds the environment in a private temporary directory and renames it into place, so a namespace
   * either exists complete (files 0600) or not at all, and two racing creators cannot both succeed. */
  async create(name: string): Promise<void> {
    const target = this.directoryOf(name)
    if (isDirectory(target)) throw namespaceExists(name)
    const building = storageCall(name, () => {
      mkdirSync(this.root, {recursive: true, mode: PRIVATE_DIR})
      return mkdtempSync(join(this.root, CREATING_PREFIX))
    })
    try {
      const env = storageCall(name, () => openEnvironment(building))
      await env.close()
      storageCall(name, () => {
        for (const file of readdirSync(building)) chmodSync(join(building, file), PRIVATE_FILE)
        chmodSync(building, PRIVATE_DIR)
      })
      try {
        renameSync(building, target)
      } catch (error) {
        if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) throw namespaceExists(name)
        throw storageFailure(name, error)
      }
    } finally {
      rmSync(building, {recursive: true, force: true})
    }
  }

  async open(name: string, {create}: {create: boolean}): Promise<Store> {
    const directory = this.directoryOf(name)
    let before = directoryId(directory)
    if (before === undefined) {
      if (!create) throw namespaceNotFound(name)
      try {
        await this.create(name)
      } catch (error) {
        // Another process created it first: that is what we wanted.
        if (!(error instanceof KvError && error.code === 'NAMESPACE_EXISTS')) throw error
      }
      before = directoryId(directory)
    }
    const env = storageCall(name, () => {
      checkDataFile(join(directory, DATA_FILE))
      return openEnvironment(directory)
    })
    // lmdb-js creates a missing directory, so a namespace removed between the check and the open would come
    // back empty: notice, and undo it.
    if (directoryId(directory) !== before) {
      const empty = entryCount(env.values) === 0
      await env.close()
      if (empty) rmSync(directory, {recursive: true, force: true})
      throw namespaceNotFound(name)
    }
    let store: LmdbStore | undefined
    try {
      store = new LmdbStore(name, directory, env, storageCall(name, () => new WriteBaseGuard(directory)))
      await store.repairWriteBase()
      return store
    } catch (error) {
      await (store ?? env).close()
      throw error
    }
  }

  async names(): Promise<string[]> {
    let entries: string[]
    try {
      entries = readdirSync(this.root)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return []
      throw storageFailure('(all)', error)
    }
    return entries.filter((entry) => !entry.startsWith('.') && isDirectory(join(this.root, entry))).sort()
  }

  async remove(name: string): Promise<void> {
    const removing = join(this.root, DELETING_PREFIX + uniqueSuffix())
    try {
      renameSync(this.directoryOf(name), removing)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw namespaceNotFound(name)
      throw storageFailure(name, error)
    }
    storageCall(name, () => rmSync(removing, {recursive: true, force: true}))
  }

  private directoryOf(name: string): string {
    return join(this.root, name)
  }
}

/**
 * A name no other process picks at the same time (a clash would make the rename fail, not lose data).
 * Not from node:crypto, which would add a few milliseconds to every CLI start for one rare operation.
 */
function uniqueSuffix(): string {
  return `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

interface Environment {
  root: RootDatabase
  /** key -> value bytes */
  values: Bytes
  /** key -> expiry time (8 bytes, big-endian ms); only keys that expire have an entry */
  expiries: Bytes
  /** expiry time ++ key -> empty; ordered by time, so reclaiming reads only what has expired */
  expiryIndex: Bytes
  close(): Promise<void>
}

function openEnvironment(directory: string): Environment {
  const root = open({path: directory, ...ENV_OPTIONS})
  return {
    root,
    values: root.openDB({name: 'values', ...DB_OPTIONS}),
    expiries: root.openDB({name: 'expiries', ...DB_OPTIONS}),
    expiryIndex: root.openDB({name: 'expiry-index', ...DB_OPTIONS}),
    close: () => root.close(),
  }
}

interface QueuedWriteGroup {
  ops: WriteOp[]
  reclaim?: {now: number; max: number}
  done: Promise<void>
}

class LmdbStore implements Store {
  /** Writes waiting for their transaction callback to run (see `write`). */
  private queuedWrites: QueuedWriteGroup | undefined
  private reclaimedInTxn = -1

  constructor(
    private readonly name: string,
    private readonly directory: string,
    private readonly env: Environment,
    private readonly writeBase: WriteBaseGuard,
  ) {}

  async read(key: Uint8Array): Promise<StoredValue | undefined> {
    return this.retryingTransientSync(() =>
      storageCall(this.name, () => {
        // Both reads run in the same event turn, so lmdb-js serves them from one read snapshot.
        const value = this.env.values.get(key)
        if (value === undefined) return undefined
        return {value, expiresAt: this.expiryOf(key)}
      }),
    )
  }

  /**
   * Writes made while an earlier one waits for lmdb-js to start its transaction join that one's callback:
   * an app making many separate puts pays for one callback and one promise, not one each. They commit
   * together, so they succeed or fail together, as lmdb-js's own batched writes do.
   */
  write(ops: WriteOp[], reclaim?: {now: number; max: number}): Promise<void> {
    const group = this.queuedWrites
    if (group !== undefined) {
      group.ops.push(...ops)
      if (reclaim) group.reclaim = reclaim
      return group.done
    }
    const next: QueuedWriteGroup = {ops: [...ops], reclaim, done: Promise.resolve()}
    this.queuedWrites = next
    next.done = this.commit(next)
    return next.done
  }

  private commit(group: QueuedWriteGroup): Promise<void> {
    return this.inBatchedTransaction(
      () => {
        for (const op of group.ops) {
          if (op.type === 'put') this.putInTransaction(op.key, op.value, op.expiresAt)
          else this.deleteInTransaction(op.key)
        }
        // lmdb-js runs every callback queued in one event turn in one transaction: reclaim once per transaction.
        // A transaction that changes nothing does not advance LMDB's id, so the id counts as used only once
        // a reclaim removed something (which makes the transaction commit).
        const txnId = this.env.root.getWriteTxnId()
        if (group.reclaim && txnId !== this.reclaimedInTxn && this.reclaimInTransaction(group.reclaim.now, group.reclaim.max) > 0) {
          this.reclaimedInTxn = txnId
        }
      },
      // From here on, new writes start the next group.
      () => {
        if (this.queuedWrites === group) this.queuedWrites = undefined
      },
    )
  }

  /**
   * Runs `work` in one of lmdb-js's batched write transactions, after `onStart`. A callback that throws hangs
   * lmdb-js 3.5 (and the process's exit), so nothing may escape it: a failure is handed back and thrown here.
   */
  private async inBatchedTransaction<T>(work: () => T, onStart?: () => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await storageCall(this.name, () =>
        this.env.root.transaction((): {done: T} | {failed: unknown} => {
          onStart?.()
          try {
            this.writeBase.check(this.env.root.getWriteTxnId())
            return {done: work()}
          } catch (failed) {
            return {failed}
          }
        }),
      )
      if ('done' in outcome) return outcome.done
      if (!(outcome.failed instanceof StaleWriteBase) || attempt >= STALE_BASE_TRIES) throw storageFailure(this.name, outcome.failed)
    }
  }

  /**
   * Runs `body` in a synchronous write transaction (which, unlike the batched ones, aborts cleanly when its
   * body throws or its promise rejects).
   */
  private async inTransactionSync<T>(body: () => T): Promise<Awaited<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await storageCall(this.name, () =>
          this.env.root.transactionSync(() => {
            this.writeBase.check(this.env.root.getWriteTxnId())
            return body()
          }),
        )) as Awaited<T>
      } catch (error) {
        if (!causedBy(error, (cause) => cause instanceof StaleWriteBase) || attempt >= STALE_BASE_TRIES) throw error
      }
    }
  }

  /** Sets right what the LMDB bug that WriteBaseGuard works around may have left in the lock file, opening this very environment. */
  async repairWriteBase(): Promise<void> {
    await this.inTransactionSync(() => undefined)
  }

  async update<T>(
    body: (txn: StoreTransaction) => T,
    reclaim?: {now: number; max: number},
    options?: {rerunnable?: boolean},
  ): Promise<Awaited<T>> {
    if (options?.rerunnable) return this.retryingTransient(() => this.update(body, reclaim))
    // A key after the last stored one (every key of a sorted bulk import into a new range) is appended:
    // it cannot have an old expiry to clear, and LMDB's MDB_APPEND skips the tree search. Deletes leave
    // `last` at or above the true last key, which only makes the test conservative.
    let last: Uint8Array | null | undefined
    const txn: StoreTransaction = {
      ...this.view(undefined),
      put: (key, value, expiresAt) => {
        if (last === undefined) last = this.lastKey()
        if (last === null || Buffer.compare(key, last) > 0) {
          this.putInTransaction(key, value, expiresAt, {append: true})
          last = key
        } else this.putInTransaction(key, value, expiresAt)
      },
      delete: (key) => this.deleteInTransaction(key),
    }
    const finish = (result: T): T => {
      if (reclaim) this.reclaimInTransaction(reclaim.now, reclaim.max)
      return result
    }
    return this.inTransactionSync(() => {
      const result = body(txn)
      return result instanceof Promise ? result.then(finish) : finish(result)
    }) as Promise<Awaited<T>>
  }

  snapshot(): StoreSnapshot {
    const transaction = storageCall(this.name, () => this.env.root.useReadTransaction())
    return {...this.view(transaction), close: () => transaction.done()}
  }

  async stats(now: number): Promise<StoreStats> {
    return storageCall(this.name, () => ({
      entries: entryCount(this.env.values),
      withExpiry: entryCount(this.env.expiries),
      expired: this.env.expiryIndex.getKeysCount({end: encodeTime(now + 1)}),
      bytesOnDisk: readdirSync(this.directory).reduce((sum, file) => sum + statSync(join(this.directory, file)).blocks * 512, 0),
    }))
  }

  async scan({start, end, limit}: ScanRange): Promise<StoredKey[]> {
    return storageCall(this.name, () => {
      const keys: StoredKey[] = []
      for (const key of this.env.values.getKeys({start, end, limit})) {
        keys.push({key, expiresAt: this.expiryOf(key)})
      }
      return keys
    })
  }

  async reclaimExpired(now: number, max: number): Promise<number> {
    return this.inBatchedTransaction(() => this.reclaimInTransaction(now, max))
  }

  async close(): Promise<void> {
    await storageCall(this.name, async () => {
      await this.env.close()
      this.writeBase.close()
    })
  }

  /**
   * lmdb-js 3.5.6 now and then fails a read or a transaction when several processes start on one namespace at
   * the same moment: "No transaction to renew" (its read transaction is missing) or "mdb_page_touch" /
   * MDB_BAD_TXN (the transaction is marked failed). Nothing of a failed transaction is committed, and the
   * same call succeeds when made again, so calls that can safely run twice get two more tries.
   */
  private async retryingTransient<R>(call: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (error) {
        this.afterFailure(error, attempt)
      }
    }
  }

  private retryingTransientSync<R>(call: () => R): R {
    for (let attempt = 1; ; attempt++) {
      try {
        return call()
      } catch (error) {
        this.afterFailure(error, attempt)
      }
    }
  }

  /** Rethrows what is not worth another try; otherwise renews the read transaction for the next one. */
  private afterFailure(error: unknown, attempt: number): void {
    if (attempt >= TRANSIENT_TRIES || !isTransientFailure(error)) throw error
    try {
      this.env.root.resetReadTxn()
    } catch {
      // Nothing to reset: the next try starts its own.
    }
  }

  private expiryOf(key: Uint8Array, transaction?: Transaction): number | null {
    const time = this.env.expiries.get(key, {transaction})
    return time === undefined ? null : decodeTime(time)
  }

  /** Reads through `transaction`, or through the current write transaction / event turn's snapshot. */
  private view(transaction: Transaction | undefined): StoreView {
    const {values} = this.env
    return {
      get: (key) => {
        const value = values.get(key, {transaction})
        return value === undefined ? undefined : {value, expiresAt: this.expiryOf(key, transaction)}
      },
      entries: ({start, end, limit}) =>
        values.getRange({start, end, limit, transaction}).map(({key, value}): StoredEntry => ({key, value, expiresAt: this.expiryOf(key, transaction)})),
    }
  }

  /** With `append`, the caller knows `key` sorts after every stored key (so it has no expiry either). */
  private putInTransaction(key: Uint8Array, value: Uint8Array, expiresAt: number | null, options?: {append: true}): void {
    if (options?.append) this.env.values.putSync(key, value, APPEND)
    else {
      this.clearExpiry(key)
      this.env.values.putSync(key, value)
    }
    if (expiresAt !== null) {
      const time = encodeTime(expiresAt)
      this.env.expiries.putSync(key, time)
      this.env.expiryIndex.putSync(concat(time, key), EMPTY)
    }
  }

  /** The greatest stored key, or null when there is none. */
  private lastKey(): Uint8Array | null {
    for (const key of this.env.values.getKeys({reverse: true, limit: 1})) return key
    return null
  }

  private deleteInTransaction(key: Uint8Array): void {
    this.clearExpiry(key)
    this.env.values.removeSync(key)
  }

  private clearExpiry(key: Uint8Array): void {
    const time = this.env.expiries.get(key)
    if (time === undefined) return
    this.env.expiries.removeSync(key)
    this.env.expiryIndex.removeSync(concat(time, key))
  }

  private reclaimInTransaction(now: number, max: number): number {
    // Index keys sort by time first, so everything before `now + 1` has expired.
    const due = Array.from(this.env.expiryIndex.getKeys({end: encodeTime(now + 1), limit: max}))
    for (const indexKey of due) {
      const key = indexKey.subarray(TIME_BYTES)
      this.env.values.removeSync(key)
      this.env.expiries.removeSync(key)
      this.env.expiryIndex.removeSync(indexKey)
    }
    return due.length
  }
}

const TIME_BYTES = 8
const APPEND = {append: true} as const

/** Big-endian so that byte order is time order. */
function encodeTime(ms: number): Uint8Array {
  const bytes = new Uint8Array(TIME_BYTES)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, Math.floor(ms / 2 ** 32))
  view.setUint32(4, ms >>> 0)
  return bytes
}

function decodeTime(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** lmdb-js types `getStats()` as `{}`; it returns LMDB's MDB_stat, whose `entryCount` is O(1). */
function entryCount(db: Bytes): number {
  return (db.getStats() as {entryCount: number}).entryCount
}

const TRANSIENT_TRIES = 3
/** A stale start is set right by the first try, so a second one should never be stale; the third is a margin. */
const STALE_BASE_TRIES = 3
const TRANSIENT_FAILURE = /No transaction to renew|No current read transaction|MDB_BAD_TXN|MDB_PROBLEM|has failed\/finished/

function isTransientFailure(error: unknown): boolean {
  return causedBy(error, (cause) => TRANSIENT_FAILURE.test(cause.message))
}

/** Whether `error` or one of its causes matches. */
function causedBy(error: unknown, matches: (cause: Error) => boolean): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (matches(cause)) return true
  }
  return false
}

/** Identifies a directory (device and inode), or undefined when there is none. */
function directoryId(path: string): string | undefined {
  try {
    const stat = statSync(path)
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}` : undefined
  } catch {
    return undefined
  }
}

function namespaceNotFound(name: string): KvError {
  return new KvError('NAMESPACE_NOT_FOUND', `namespace "${name}" does not exist (create it with: kv ns create ${name})`)
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code
}

function namespaceExists(name: string): KvError {
  return new KvError('NAMESPACE_EXISTS', `namespace "${name}" already exists`)
}

function storageFailure(name: string, error: unknown): KvError {
  if (error instanceof KvError) return error
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
  const hint = isDiskFull(error) && !reason.includes('disk full') ? ' (is the disk full?)' : ''
  return new KvError('STORAGE_FAILURE', `storage failure in namespace "${name}": ${reason}${hint}`, {cause: error})
}

/** LMDB reports a short write on a full disk as EIO (5); ENOSPC is 28. */
function isDiskFull(error: unknown): boolean {
  const code = (error as {code?: unknown} | undefined)?.code
  return code === 5 || code === 28 || code === 'EIO' || code === 'ENOSPC' || /Input\/output error|No space left/.test(String(error))
}

/** Runs a storage call and turns whatever LMDB or the file system throws into STORAGE_FAILURE. */
function storageCall<T>(name: string, call: () => T): T {
  try {
    const result = call()
    if (result instanceof Promise) {
      return result.catch(async (error: unknown) => {
        throw storageFailure(name, await commitFailureReason(error))
      }) as T
    }
    return result
  } catch (error) {
    throw storageFailure(name, error)
  }
}

/**
 * lmdb-js rejects a write whose commit failed (disk full, I/O error) with "Commit failed" and hands the
 * reason over in `commitError`, a promise that rejects a moment later. Left alone, that rejection is
 * unhandled and kills the process; awaited, it is the reason worth reporting.
 */
async function commitFailureReason(error: unknown): Promise<unknown> {
  const pending = (error as {commitError?: unknown} | undefined)?.commitError
  if (!(pending instanceof Promise)) return error
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve(error), 5000)
  })
  const reason = await Promise.race([pending.then(() => error, (cause: unknown) => cause), gaveUp])
  clearTimeout(timer)
  return reason
}
