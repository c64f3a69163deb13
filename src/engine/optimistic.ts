import {expiryTime, isLiveAt, newEntry, parseCounter, parseStored, toEntry} from './entry.js'
import {KvError} from './errors.js'
import {checkInteger, checkTtl, encodeKey} from './limits.js'
import {expiringPuts, inChunks, ONE_WRITE_OPS, reclaimFor} from './reclaim.js'
import type {ChangeCause, NewEntry, Precondition, Store, WriteOp} from './store/store.js'
import type {Batch, Clock, Entry, IncrOptions} from './types.js'

/**
 * Optimistic writes (a batch, an increment; a revert, revert.ts): read, work out the write, commit it only if
 * what was read is unchanged, else start over, as etcd's and FoundationDB's transactions do.
 */

/** How often an optimistic write runs again when a key it read changed before it could commit. */
export const OPTIMISTIC_TRIES = 100

export function keptChanging(): KvError {
  return new KvError('CONFLICT', `the keys kept changing under ${OPTIMISTIC_TRIES} tries; try again`)
}

/**
 * After a lost race, wait a little (more each time, at random) so that racing writers spread out; from the
 * third try on, over a timer, which also lets the store take a fresh read snapshot (lmdb-js keeps one until
 * a timer fires).
 */
export function backOff(attempt: number): Promise<void> {
  if (attempt < 3) return Promise.resolve()
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)))
}

/**
 * `Namespace.batch`: runs `body`, then commits its puts and deletes together, or none when it throws. Keys it
 * read with `getEntry` must not have changed meanwhile: when one did, nothing is written and `body` runs again.
 */
export async function runBatch<T>(store: Store, clock: Clock, cause: ChangeCause, body: (batch: Batch) => T | Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const now = clock()
    const ops: WriteOp[] = []
    const checks = new Map<string, WriteOp>()
    /**
     * What getEntry answers, by key (hex): the batch's own writes, then what it read. Built only once the
     * body first reads, so a batch that only writes (an import) pays nothing for it.
     */
    let seen: Map<string, Entry | null> | undefined
    const see = (op: WriteOp) => {
      const entry = op.type === 'put' && isLiveAt(op.entry.expiresAt, now) ? {...op.entry, metadata: parseStored(op.entry.metadata), version: '', revision: 0} : null
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
        const stored = await store.get(bytes)
        const entry = stored === undefined || !isLiveAt(stored.expiresAt, now) ? null : toEntry(stored)
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
      await store.writeAll(inChunks(ops, ONE_WRITE_OPS), {now, reclaim: reclaimFor, cause})
      return result
    }
    const outcome = await store.write([...checks.values(), ...ops], {now, reclaim: reclaimFor(expiringPuts(ops)), cause})
    if (outcome.applied) return result
    if (attempt >= OPTIMISTIC_TRIES) throw keptChanging()
    await backOff(attempt)
  }
}

const utf8Encoder = new TextEncoder()

/**
 * `Namespace.incr`: adds `by` to the integer at `key` (missing or expired: 0), keeping its metadata and
 * expiration, writing only if the key is still as it read it (and trying again otherwise).
 */
export async function increment(store: Store, clock: Clock, cause: ChangeCause, key: string, options: IncrOptions): Promise<number> {
  const keyBytes = encodeKey(key)
  const by = checkInteger(options.by ?? 1, 'the increment')
  const expiresIn = options.expiresIn == null ? null : checkTtl(options.expiresIn)
  for (let attempt = 1; ; attempt++) {
    const now = clock()
    const stored = await store.get(keyBytes)
    const current = stored !== undefined && isLiveAt(stored.expiresAt, now) ? stored : undefined
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
    const outcome = await store.write([{type: 'put', key: keyBytes, entry, if: condition}], {now, reclaim: reclaimFor(entry.expiresAt === null ? 0 : 1), cause})
    if (outcome.applied) return next
    if (attempt >= OPTIMISTIC_TRIES) throw keptChanging()
    await backOff(attempt)
  }
}
