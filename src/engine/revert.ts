import {toEntry} from './entry.js'
import {KvError} from './errors.js'
import {causeOf, type NamespaceHistory} from './history.js'
import {prefixEnd, successor} from './key-range.js'
import {encodeKey, encodePrefix} from './limits.js'
import {backOff, keptChanging, OPTIMISTIC_TRIES} from './optimistic.js'
import {inChunks, reclaimFor} from './reclaim.js'
import type {KeyRange, NewEntry, Store, StoredEntry, WriteOp} from './store/store.js'
import type {Clock, RevertedKey, RevertOptions, RevertResult} from './types.js'

/** Keys read per step while working out a revert: one consistent view each. */
const PLAN_CHUNK = 1000
/** A revert of at most this many keys is one conditional write; more go through the store's bulk write. */
const ONE_WRITE_KEYS = 1000

interface Step {
  key: Uint8Array
  name: string
  /** The entry now (live), or undefined. */
  current: StoredEntry | undefined
  /** What it is put back to, or undefined: deleted. */
  target: NewEntry | undefined
  shown: RevertedKey
}

/**
 * Puts keys back as they were right after revision `to` (value, expiry, metadata; deleted where they did not
 * exist then, or have expired since), as one new revision: only keys that changed after `to` are looked at, and
 * only those that differ are written. All or nothing; a small revert writes only if none of its keys changed
 * while it was worked out (else it is worked out again), a big one (more than 1,000 keys) goes through the
 * store's bulk write, as an import does.
 */
export async function revert(
  store: Store,
  history: NamespaceHistory,
  clock: Clock,
  actor: string,
  options: RevertOptions,
): Promise<RevertResult> {
  if ((options.key === undefined) === (options.prefix === undefined)) throw new KvError('USAGE', 'revert takes a key or a prefix (not both)')
  const to = await history.checkReadable(options.to)
  const range = rangeOf(options)
  if (range === null) return {changes: [], revisions: null}
  for (let attempt = 1; ; attempt++) {
    const keys = history.unlessCompacted(await store.history.keysChangedSince(to, range))
    const steps = await plan(store, history, keys, to, clock())
    const changes = steps.map((step) => step.shown)
    if (options.dryRun || steps.length === 0) return {changes, revisions: null}
    const now = clock()
    const cause = causeOf('revert', actor, to)
    const expiring = steps.filter((step) => step.target?.expiresAt != null).length
    if (steps.length > ONE_WRITE_KEYS) {
      const {revisions} = await store.writeAll(inChunks(steps.map((step) => opOf(step, false)), ONE_WRITE_KEYS), {now, reclaim: reclaimFor, cause})
      return {changes, revisions}
    }
    const outcome = await store.write(
      steps.map((step) => opOf(step, true)),
      {now, reclaim: reclaimFor(expiring), cause},
    )
    if (outcome.applied) return {changes, revisions: outcome.revision == null ? null : {first: outcome.revision, last: outcome.revision}}
    if (attempt >= OPTIMISTIC_TRIES) throw keptChanging()
    await backOff(attempt)
  }
}

function rangeOf(options: RevertOptions): KeyRange | null {
  if (options.key !== undefined) {
    const key = encodeKey(options.key)
    return {start: key, end: successor(key)}
  }
  const start = encodePrefix(options.prefix)
  return start === null ? null : {start, end: prefixEnd(start)}
}

/** What each key that changed after `to` must become, for those that differ from what they are now. */
async function plan(store: Store, history: NamespaceHistory, keys: Uint8Array[], to: number, now: number): Promise<Step[]> {
  keys.sort(Buffer.compare)
  const steps: Step[] = []
  const utf8 = new TextDecoder()
  for (let i = 0; i < keys.length; i += PLAN_CHUNK) {
    const chunk = keys.slice(i, i + PLAN_CHUNK)
    const [past, current] = await Promise.all([store.history.entriesAt(chunk, to), store.getMany(chunk)])
    const {at, entries} = history.unlessCompacted(past)
    chunk.forEach((key, j) => {
      const then = entries[j]
      const wasLive = then !== undefined && (then.expiresAt === null || then.expiresAt > at)
      // Put back only what is still live by now: an entry that has expired since reads as absent anyway.
      const target = wasLive && (then.expiresAt === null || then.expiresAt > now) ? then : undefined
      const live = current[j] !== undefined && (current[j]!.expiresAt === null || current[j]!.expiresAt! > now) ? current[j] : undefined
      if (sameEntry(target, live)) return
      steps.push({
        key,
        name: utf8.decode(key),
        current: live,
        target: target && {value: target.value, expiresAt: target.expiresAt, metadata: target.metadata},
        shown: {key: utf8.decode(key), type: target === undefined ? 'delete' : 'put', from: live ? toEntry(live) : null, to: target ? toEntry(target) : null},
      })
    })
  }
  return steps
}

/** The write that makes one step, conditional (a small revert) on the key being as the plan saw it. */
function opOf(step: Step, conditional: boolean): WriteOp {
  const condition = conditional ? (step.current === undefined ? {absent: true as const} : {version: step.current.version}) : undefined
  const op: WriteOp = step.target === undefined ? {type: 'delete', key: step.key} : {type: 'put', key: step.key, entry: step.target}
  if (condition !== undefined) op.if = condition
  return op
}

function sameEntry(a: StoredEntry | undefined, b: StoredEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.expiresAt === b.expiresAt && a.metadata === b.metadata && Buffer.compare(a.value, b.value) === 0
}

