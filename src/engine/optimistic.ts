import {KvError} from './errors.js'

/**
 * Optimistic writes (a batch, an increment, a revert): read, work out the write, commit it only if what was
 * read is unchanged, else start over, as etcd's and FoundationDB's transactions do.
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
