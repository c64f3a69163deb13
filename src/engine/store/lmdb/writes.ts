import {successor} from '../../key-range.js'
import {recordExpiry, recordVersion, sameVersion} from '../record.js'
import {compactionBudget} from '../retention.js'
import type {ChangeCause, KeyRange, ReclaimFor, Retention, RevisionSpan, WriteAllResult, WriteOp, WriteResult} from '../store.js'
import type {Environment} from './environment.js'
import {causedBy, storageCall, storageFailure} from './errors.js'
import {StaleWriteBase, type WriteBaseGuard} from './files.js'
import type {ProcessGate} from './gate.js'
import {RevisionWriter} from './revisions.js'

/** A write request waiting for the transaction it will run in: one revision. */
interface Request {
  ops: readonly WriteOp[]
  now: number
  cause: ChangeCause
  /** Plain puts only: their result is the one every such request of the group shares. */
  plain: boolean
  result?: WriteResult
}

interface Group {
  requests: Request[]
  /** The latest request's `now`, the most keys any request asked to reclaim, and how many ops there are. */
  upkeep: {now: number; reclaim: number; ops: number}
  done: Promise<void>
  /** What every request of plain puts gets: they cannot fail alone, so one promise serves them all. */
  putsDone?: Promise<WriteResult>
}

/** The result of a request of puts without preconditions (the contract leaves wasLive of puts undefined). */
const PUTS_APPLIED: WriteResult = Object.freeze({applied: true, wasLive: Object.freeze([]) as unknown as undefined[]})

/** A stale start is set right by the first try, so a second one should never be stale; the third is a margin. */
const STALE_BASE_TRIES = 3
const RANGE_CHUNK = 1000
/** The most expired keys one transaction reclaims, whatever the groups in it asked for. */
const MOST_RECLAIMED = 1000

/**
 * Everything that writes to one LMDB environment: the requests of `Store.write`, batched into lmdb-js's
 * write transactions; long writes (`writeAll`) in one synchronous transaction held across awaits. Each
 * request is a revision, written with its history by a RevisionWriter (revisions.ts).
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
   * checked and applied on its own inside it (a revision of its own), so a failed precondition skips only
   * its own ops.
   */
  write(ops: readonly WriteOp[], now: number, reclaim: number, cause: ChangeCause): Promise<WriteResult> {
    let group = this.queued
    if (group === undefined) {
      group = {requests: [], upkeep: {now, reclaim, ops: ops.length}, done: Promise.resolve()}
      this.queued = group
      const started = group
      group.done = this.gate.share(() => this.commit(started))
    } else {
      // In place: an app's many separate puts should allocate as little as they can (the bench's put rows).
      group.upkeep.now = now
      group.upkeep.reclaim += reclaim
      group.upkeep.ops += ops.length
    }
    const plain = ops.every(isPlainPut)
    const request: Request = {ops, now, cause, plain}
    group.requests.push(request)
    // An app's many separate puts share one promise (and one result) per transaction.
    if (plain) return (group.putsDone ??= group.done.then(() => PUTS_APPLIED))
    return group.done.then(() => request.result!)
  }

  private commit(group: Group): Promise<void> {
    return this.inBatchedTransaction(
      (history) => {
        for (const request of group.requests) {
          history.begin(request.cause, request.now)
          const result = request.plain ? this.applyPuts(history, request.ops) : this.apply(history, request.ops, request.now)
          const revision = history.end()
          if (result.applied) request.result = {...result, revision}
          else request.result = result
        }
        // Each group brings its own writes, so each reclaims and compacts what they call for (lmdb-js may run
        // several groups' callbacks in one transaction).
        const {now, reclaim, ops} = group.upkeep
        history.upkeep(now, Math.min(reclaim, MOST_RECLAIMED), compactionBudget(ops))
      },
      // From here on, new writes start the next group.
      () => {
        if (this.queued === group) this.queued = undefined
      },
    )
  }

  /**
   * Applies every op of `chunks` in one synchronous write transaction that stays open while the chunks
   * arrive: committed once they end, aborted (nothing kept) when they throw. One revision. Keys that come
   * after every stored key (a sorted import into a new range) are appended, which skips LMDB's tree search.
   */
  async writeAll(
    chunks: AsyncIterable<readonly WriteOp[]>,
    now: number,
    reclaim: ReclaimFor,
    cause: ChangeCause,
  ): Promise<WriteAllResult> {
    return this.gate.exclusive(() =>
      this.inTransactionSync(async (history) => {
        let deletedLive = 0
        let expiringPuts = 0
        let changes = 0
        let skipped = 0
        let last: Uint8Array | null | undefined
        history.begin(cause, now)
        for await (const ops of chunks) {
          for (const op of ops) {
            if (op.type === 'check') continue
            changes++
            if (op.type === 'delete') {
              if (history.remove(op.key, now)) deletedLive++
              continue
            }
            if (op.if !== undefined && this.isLive(op.key, now)) {
              skipped++
              continue
            }
            if (op.entry.expiresAt !== null) expiringPuts++
            if (last === undefined) last = this.lastKey()
            // Nothing is stored under a key past the last one: nothing to replace.
            const append = last === null || Buffer.compare(op.key, last) > 0
            history.put(op.key, op.entry, append)
            if (append) last = op.key
          }
        }
        const revision = history.end()
        history.upkeep(now, reclaim(expiringPuts), compactionBudget(changes))
        return {deletedLive, skipped, revisions: revision === null ? null : {first: revision, last: revision}}
      }),
    )
  }

  /** Deletes every live key in the range in one write transaction (one revision); returns how many were live. */
  deleteRange({start, end}: KeyRange, now: number, cause: ChangeCause): Promise<{deletedLive: number; revisions: RevisionSpan | null}> {
    return this.gate.share(() =>
      this.inTransactionSync((history) => {
        let deleted = 0
        let from = start
        history.begin(cause, now)
        // Collect a chunk before deleting it: LMDB cursors must not see the tree change under them.
        for (;;) {
          const chunk = Array.from(this.env.records.getKeys({start: from, end, limit: RANGE_CHUNK}))
          for (const key of chunk) if (history.remove(key, now)) deleted++
          if (chunk.length < RANGE_CHUNK) break
          from = successor(chunk[chunk.length - 1])
        }
        const revision = history.end()
        history.upkeep(now, 0, compactionBudget(deleted))
        return {deletedLive: deleted, revisions: revision === null ? null : {first: revision, last: revision}}
      }),
    )
  }

  /** Removes up to `max` expired keys in a transaction of their own. */
  reclaimExpired(now: number, max: number): Promise<number> {
    return this.gate.share(() => this.inBatchedTransaction((history) => history.upkeep(now, max, compactionBudget(0))))
  }

  /** Sets how much history the namespace keeps. */
  setRetention(retention: Retention | null, now: number): Promise<void> {
    return this.gate.share(() =>
      this.inTransactionSync((history) => {
        history.setRetention(retention, now)
        history.upkeep(now, 0, compactionBudget(0))
      }),
    )
  }

  /** Sets right what the LMDB bug that WriteBaseGuard works around may have left in the lock file. */
  async repairWriteBase(): Promise<void> {
    await this.gate.share(() => this.inTransactionSync(() => undefined))
  }

  /** One request inside a write transaction: preconditions against the entries as they were, then the ops. */
  private apply(history: RevisionWriter, ops: readonly WriteOp[], now: number): WriteResult {
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
      if (op.type === 'put') history.put(op.key, op.entry)
      else if (op.type === 'delete') wasLive[i] = history.remove(op.key, now)
      else wasLive[i] = this.isLive(op.key, now)
    }
    return {applied: true, wasLive}
  }

  private applyPuts(history: RevisionWriter, ops: readonly WriteOp[]): WriteResult {
    for (const op of ops) if (op.type === 'put') history.put(op.key, op.entry)
    return PUTS_APPLIED
  }

  private isLive(key: Uint8Array, now: number): boolean {
    const stored = this.env.records.getBinaryFast(key)
    return stored !== undefined && isLive(stored, now)
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
  private async inBatchedTransaction<T>(work: (history: RevisionWriter) => T, onStart?: () => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await storageCall(this.name, () =>
        this.env.root.transaction((): {done: T} | {failed: unknown} => {
          onStart?.()
          try {
            this.guard.check(this.env.root.getWriteTxnId())
            return {done: work(new RevisionWriter(this.env))}
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
  private async inTransactionSync<T>(body: (history: RevisionWriter) => T): Promise<Awaited<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await storageCall(this.name, () =>
          this.env.root.transactionSync(() => {
            this.guard.check(this.env.root.getWriteTxnId())
            return body(new RevisionWriter(this.env))
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
