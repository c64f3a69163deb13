import type {WriteOp} from './store/store.js'

/** How many expired keys writes remove as they go: the engine's policy, which every store applies. */

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

/** How many expired keys a write that stored `expiringPuts` keys with an expiry time removes. */
export function reclaimFor(expiringPuts: number): number {
  return Math.min(RECLAIM_BATCH, RECLAIM_PER_EXPIRING_KEY * expiringPuts)
}

export function expiringPuts(ops: readonly WriteOp[]): number {
  let count = 0
  for (const op of ops) if (op.type === 'put' && op.entry.expiresAt !== null) count++
  return count
}

/** Ops applied as one plain write (`Store.write`); more go through the store's `writeAll`, in chunks of this many. */
export const ONE_WRITE_OPS = 1000

/** `items` as an async source of chunks of `size`, for the store's `writeAll`. */
export async function* inChunks<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}
