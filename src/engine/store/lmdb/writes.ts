import {encodeRecord, recordExpiry, recordVersion, sameVersion} from '../record.js'
import {successor} from '../../key-range.js'
import type {KeyRange, NewEntry, ReclaimFor, WriteOp, WriteResult} from '../store.js'
import type {Environment} from './environment.js'
import {causedBy, storageCall, storageFailure} from './errors.js'
import {StaleWriteBase, type WriteBaseGuard} from './files.js'
import type {ProcessGate} from './gate.js'
import {decodeTime, encodeTime, TIME_BYTES} from './time.js'

/** A write request waiting for the transaction it will run in. */
interface Request {
  ops: readonly WriteOp[]
  now: number
  result?: WriteResult
}

interface Group {
  /** In call order: requests, and single plain puts as their bare op (no request, no result to fill in). */
  requests: (Request | PutOp)[]
  /** The latest request's `now`, and the most keys any request asked to reclaim. */
  reclaim: {now: number; max: number}
  done: Promise<void>
  /** What every request of plain puts gets: they cannot fail alone, so one promise serves them all. */
  putsDone?: Promise<WriteResult>
}

type PutOp = Extract<WriteOp, {type: 'put'}>

/** The result of a request of puts without preconditions (the contract leaves wasLive of puts undefined). */
const PUTS_APPLIED: WriteResult = Object.freeze({applied: true, wasLive: Object.freeze([]) as unknown as undefined[]})

/** A stale start is set right by the first try, so a second one should never be stale; the third is a margin. */
const STALE_BASE_TRIES = 3
const EMPTY = new Uint8Array(0)
const APPEND = {append: true} as const
const RANGE_CHUNK = 1000
/** The most expired keys one transaction reclaims, whatever the groups in it asked for. */
const MOST_RECLAIMED = 1000

/**
 * Everything that writes to one LMDB environment: the requests of `Store.write`, batched into lmdb-js's
 * write transactions; long writes (`writeAll`) in one synchronous transaction held across awaits; and the
 * expiry index kept in step with the records in both.
 */
export class LmdbWriter {
  /** The group whose transaction has not started yet: writes made meanwhile join it. */
  private queued: Group | undefined

  constructor(
    private readonly name: string,
    private readonly env: Environment,
    private readonly guard: WriteBaseGuard,
    private readonly gate: ProcessGate,
  ) {}

  /**
   * Writes made while an earlier one waits for lmdb-js to start its transaction join that one: an app making
   * many separate puts pays for one transaction callback and one commit, not one each. Each request is
   * checked and applied on its own inside it, so a failed precondition skips only its own ops.
   */
  write(ops: readonly WriteOp[], now: number, reclaim: number): Promise<WriteResult> {
    let group = this.queued
    if (group === undefined) {
      group = {requests: [], reclaim: {now, max: reclaim}, done: Promise.resolve()}
      this.queued = group
      const started = group
      group.done = this.gate.share(() => this.commit(started))
    } else {
      // In place: an app's many separate puts should allocate as little as they can (the bench's put rows).
      group.reclaim.now = now
      group.reclaim.max += reclaim
    }
    // An app's many separate puts share one promise (and one result) per transaction.
    if (ops.length === 1 && isPlainPut(ops[0])) {
      group.requests.push(ops[0] as PutOp)
      return (group.putsDone ??= group.done.then(() => PUTS_APPLIED))
    }
    const request: Request = {ops, now}
    group.requests.push(request)
    if (ops.every(isPlainPut)) return (group.putsDone ??= group.done.then(() => PUTS_APPLIED))
    return group.done.then(() => request.result!)
  }

  private commit(group: Group): Promise<void> {
    return this.inBatchedTransaction(
      () => {
        for (const request of group.requests) {
          if ('type' in request) this.put(request.key, request.entry)
          else request.result = this.apply(request.ops, request.now)
        }
        // Each group brings its own expiring keys, so each reclaims what they call for (lmdb-js may run
        // several groups' callbacks in one transaction).
        if (group.reclaim.max > 0) this.reclaim(group.reclaim.now, Math.min(group.reclaim.max, MOST_RECLAIMED))
      },
      // From here on, new writes start the next group.
      () => {
        if (this.queued === group) this.queued = undefined
      },
    )
  }

  /**
   * Applies every op of `chunks` in one synchronous write transaction that stays open while the chunks
   * arrive: committed once they end, aborted (nothing kept) when they throw. Keys that come after every
   * stored key (a sorted import into a new range) are appended, which skips LMDB's tree search.
   */
  async writeAll(chunks: AsyncIterable<readonly WriteOp[]>, now: number, reclaim: ReclaimFor): Promise<{deletedLive: number}> {
    return this.gate.exclusive(() =>
      this.inTransactionSync(async () => {
        let deletedLive = 0
        let expiringPuts = 0
        let last: Uint8Array | null | undefined
        for await (const ops of chunks) {
          for (const op of ops) {
            if (op.type === 'check') continue
            if (op.type === 'delete') {
              if (this.remove(op.key, now)) deletedLive++
              continue
            }
            if (op.entry.expiresAt !== null) expiringPuts++
            if (last === undefined) last = this.lastKey()
            if (last === null || Buffer.compare(op.key, last) > 0) {
              // Nothing is stored under a key past the last one: no old expiry to clear.
              this.env.records.putSync(op.key, encodeRecord(op.entry), APPEND)
              this.addExpiry(op.key, op.entry.expiresAt)
              last = op.key
            } else {
              this.put(op.key, op.entry)
            }
          }
        }
        this.reclaim(now, reclaim(expiringPuts))
        return {deletedLive}
      }),
    )
  }

  /** Deletes every key in the range in one write transaction; returns how many were live. */
  deleteRange({start, end}: KeyRange, now: number): Promise<number> {
    return this.gate.share(() =>
      this.inTransactionSync(() => {
        let deleted = 0
        let from = start
        // Collect a chunk before deleting it: LMDB cursors must not see the tree change under them.
        for (;;) {
          const chunk = Array.from(this.env.records.getKeys({start: from, end, limit: RANGE_CHUNK}))
          for (const key of chunk) if (this.remove(key, now)) deleted++
          if (chunk.length < RANGE_CHUNK) return deleted
          from = successor(chunk[chunk.length - 1])
        }
      }),
    )
  }

  /** Removes up to `max` expired keys in a transaction of their own. */
  reclaimExpired(now: number, max: number): Promise<number> {
    return this.gate.share(() => this.inBatchedTransaction(() => this.reclaim(now, max)))
  }

  /** Sets right what the LMDB bug that WriteBaseGuard works around may have left in the lock file. */
  async repairWriteBase(): Promise<void> {
    await this.gate.share(() => this.inTransactionSync(() => undefined))
  }

  /** One request inside a write transaction: preconditions against the entries as they were, then the ops. */
  private apply(ops: readonly WriteOp[], now: number): WriteResult {
    for (let i = 0; i < ops.length; i++) {
      const condition = ops[i].if
      if (condition === undefined) continue
      const stored = this.env.records.getBinaryFast(ops[i].key)
      const live = stored !== undefined && isLive(stored, now)
      const holds = 'absent' in condition ? !live : live && sameVersion(recordVersion(stored!), condition.version)
      if (!holds) return {applied: false, failed: i}
    }
    const wasLive: (boolean | undefined)[] = new Array(ops.length)
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]
      if (op.type === 'put') this.put(op.key, op.entry)
      else if (op.type === 'delete') wasLive[i] = this.remove(op.key, now)
      else wasLive[i] = this.isLive(op.key, now)
    }
    return {applied: true, wasLive}
  }

  private put(key: Uint8Array, entry: NewEntry): void {
    this.dropExpiry(key)
    this.env.records.putSync(key, encodeRecord(entry))
    this.addExpiry(key, entry.expiresAt)
  }

  /** Returns whether a live entry was removed. */
  private remove(key: Uint8Array, now: number): boolean {
    const expiresAt = this.dropExpiry(key)
    // removeSync says whether there was anything to remove.
    const existed = this.env.records.removeSync(key)
    return existed && (expiresAt === null || expiresAt > now)
  }

  private isLive(key: Uint8Array, now: number): boolean {
    const stored = this.env.records.getBinaryFast(key)
    return stored !== undefined && isLive(stored, now)
  }

  /**
   * Forgets the key's expiry (its `expiries` entry and index entry) and returns it, or null when it had
   * none. One look into `expiries`, which holds only the keys that expire: no record is read.
   */
  private dropExpiry(key: Uint8Array): number | null {
    const time = this.env.expiries.getBinaryFast(key)
    if (time === undefined) return null
    const expiresAt = decodeTime(time)
    this.env.expiries.removeSync(key)
    this.env.expiryIndex.removeSync(indexKey(expiresAt, key))
    return expiresAt
  }

  private addExpiry(key: Uint8Array, expiresAt: number | null): void {
    if (expiresAt === null) return
    const time = encodeTime(expiresAt)
    this.env.expiries.putSync(key, time)
    this.env.expiryIndex.putSync(concat(time, key), EMPTY)
  }

  private reclaim(now: number, max: number): number {
    // Index keys sort by time first, so everything before `now + 1` has expired.
    const due = Array.from(this.env.expiryIndex.getKeys({end: encodeTime(now + 1), limit: max}))
    for (const indexed of due) {
      const key = indexed.subarray(TIME_BYTES)
      this.env.records.removeSync(key)
      this.env.expiries.removeSync(key)
      this.env.expiryIndex.removeSync(indexed)
    }
    return due.length
  }

  /** The greatest stored key, or null when there is none. */
  private lastKey(): Uint8Array | null {
    for (const key of this.env.records.getKeys({reverse: true, limit: 1})) return key
    return null
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
            this.guard.check(this.env.root.getWriteTxnId())
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
            this.guard.check(this.env.root.getWriteTxnId())
            return body()
          }),
        )) as Awaited<T>
      } catch (error) {
        if (!causedBy(error, (cause) => cause instanceof StaleWriteBase) || attempt >= STALE_BASE_TRIES) throw error
      }
    }
  }
}

function isPlainPut(op: WriteOp): boolean {
  return op.type === 'put' && op.if === undefined
}

function isLive(record: Uint8Array, now: number): boolean {
  const expiresAt = recordExpiry(record)
  return expiresAt === null || expiresAt > now
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}

/** The expiry index's key for a key that expires at `expiresAt`. */
function indexKey(expiresAt: number, key: Uint8Array): Uint8Array {
  return concat(encodeTime(expiresAt), key)
}

