import type {Retention} from './store.js'

/**
 * What a namespace keeps unless told otherwise: 30 days, and at most the newest 100,000 revisions. Made for
 * feature flags and configuration: a few changes a day are kept for a month (enough to find who flipped a
 * flag during an incident and to undo a cleanup noticed weeks later) at a few hundred bytes each; the count
 * bounds what a namespace written all day (counters, sessions) keeps until its owner turns history off.
 */
export const DEFAULT_RETENTION: Retention = {maxAgeMs: 30 * 86_400_000, maxRevisions: 100_000}

/**
 * How a namespace's retention is stored (LMDB's kv-meta, Redis's meta hash; Redis scripts parse it too):
 * "off", or "<max age in ms>,<max revisions>" with 0 for no bound on that axis.
 */
export function encodeRetention(retention: Retention | null): string {
  if (retention === null) return 'off'
  return `${retention.maxAgeMs ?? 0},${retention.maxRevisions ?? 0}`
}

export function decodeRetention(text: string): Retention | null {
  if (text === 'off') return null
  const match = /^(\d+),(\d+)$/.exec(text)
  if (match === null) throw new Error(`damaged namespace settings: retention ${JSON.stringify(text)}`)
  const [maxAgeMs, maxRevisions] = [Number(match[1]), Number(match[2])]
  return {maxAgeMs: maxAgeMs === 0 ? null : maxAgeMs, maxRevisions: maxRevisions === 0 ? null : maxRevisions}
}

/**
 * How much dropping of old history a write does (in keys of the revisions it drops): twice what it adds, so
 * the history shrinks back within its bounds while writes go on, and a little more, so that a backlog (after
 * a bound was lowered, or a big import aged out) goes at a steady pace; never more than a thousand, so a write
 * never pauses for long.
 */
export function compactionBudget(changes: number): number {
  return Math.min(1000, 16 + 2 * changes)
}
