/**
 * The history under crashes: writer processes (children/history-writer.mjs) make random puts, deletes,
 * imports, batches, increments, TTL writes and reverts on one namespace, and are SIGKILLed at random moments
 * and started again. Afterwards the namespace's log is read whole and checked against itself and against
 * what the writers were told:
 * - revisions are 1 to the current one with no gap, each (revision, key) once, each revision one writer's
 *   change (one actor), and every change a writer was told was made is there;
 * - replaying the log from revision 1 gives, at every revision, exactly what `getEntry(key, {revision})`
 *   reads, and at the end what the namespace holds;
 * - every key a revert wrote is as it was at the revision the revert went back to.
 * On LMDB and (test/redis/ runs it too) on Redis.
 */
import {spawn} from 'node:child_process'
import {resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace, type Change, type Namespace} from '../../src/index.js'
import {freshLocation, TEST_STORE} from '../store-under-test.js'

const WRITER = resolve(import.meta.dirname, 'children', 'history-writer.mjs')
const DIST = resolve(import.meta.dirname, '..', '..', 'dist', 'index.js')
const WRITERS = 3
/** How long the writers run, and how many times one is killed and started again. */
const RUN_MS = Number(process.env.HISTORY_MODEL_MS ?? 6000)
const KILLS = Number(process.env.HISTORY_MODEL_KILLS ?? 8)
const SEED = Number(process.env.FC_SEED ?? 20_261_206)

interface Told {
  /** Changes a writer was told were made (actor -> 1 made something, 0 made nothing, 2 may have). */
  done: Map<string, number>
  /** What each change was (put, delete, import, batch, incr, revert). */
  kinds: Map<string, string>
  /** Changes begun and never told done (killed meanwhile): they may or may not have been made. */
  begun: Set<string>
}

/** Runs one writer process until killed; records what it was told. */
function startWriter(location: object, id: number, firstSeq: number, seed: number, told: Told) {
  const child = spawn(process.execPath, [WRITER, DIST, JSON.stringify(location), String(id), String(firstSeq), String(seed)], {stdio: ['ignore', 'pipe', 'pipe']})
  let buffered = ''
  let stderr = ''
  let lastSeq = firstSeq - 1
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      const [what, seq, changed, kind] = line.split(' ')
      const actor = `w${id}:${seq}`
      lastSeq = Math.max(lastSeq, Number(seq))
      if (what === 'begin') told.begun.add(actor)
      else {
        told.begun.delete(actor)
        told.done.set(actor, Number(changed))
        told.kinds.set(actor, kind)
      }
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const ended = new Promise<{signal: NodeJS.Signals | null; code: number | null}>((done) => child.on('close', (code, signal) => done({code, signal})))
  return {child, ended, stderr: () => stderr, lastSeq: () => lastSeq}
}

interface State {
  value: string
  expiresAt: number | null
  metadata: unknown
}

async function readLog(ns: Namespace): Promise<Change[]> {
  const changes: Change[] = []
  let cursor: string | null = null
  do {
    const page = await ns.history({limit: 500, cursor, values: true})
    changes.push(...page.changes)
    cursor = page.cursor
  } while (cursor !== null)
  return changes.reverse()
}

describe('the history under crashes', () => {
  it(`writers SIGKILLed at random: the log has no gap and no repeat, and every revision reads back as it says (seed ${SEED})`, async () => {
    const location = freshLocation()
    // Created first, keeping every revision the run makes.
    await (await openNamespace('model', {...location, create: true})).close()
    const told: Told = {done: new Map(), kinds: new Map(), begun: new Set()}
    let seed = SEED
    const writers = Array.from({length: WRITERS}, (_, id) => startWriter(location, id, 0, seed++, told))
    const started = Date.now()
    let kills = 0
    while (Date.now() - started < RUN_MS) {
      await new Promise((wait) => setTimeout(wait, (RUN_MS / (KILLS + 1)) * (0.5 + ((seed * 7919) % 100) / 100)))
      if (kills >= KILLS) continue
      const victim = seed % WRITERS
      const running = writers[victim]
      running.child.kill('SIGKILL')
      const ended = await running.ended
      expect(ended.signal, `writer ${victim}: ${running.stderr()}`).toBe('SIGKILL')
      kills++
      writers[victim] = startWriter(location, victim, running.lastSeq() + 1, seed++, told)
    }
    for (const writer of writers) writer.child.kill('SIGTERM')
    for (const writer of writers) {
      const ended = await writer.ended
      expect(writer.stderr(), 'a writer failed').toBe('')
      expect(ended.signal).toBe('SIGTERM')
    }

    const ns = await openNamespace('model', location)
    try {
      const log = await readLog(ns)
      const {revision} = await ns.historyState()
      // No gap, no repeat: revisions 1..current, each key once per revision, one actor per revision.
      const byRevision = new Map<number, Change[]>()
      for (const change of log) byRevision.set(change.revision, [...(byRevision.get(change.revision) ?? []), change])
      expect([...byRevision.keys()]).toEqual(Array.from({length: revision}, (_, i) => i + 1))
      for (const [r, changes] of byRevision) {
        expect(new Set(changes.map((change) => change.key)).size, `revision ${r} repeats a key`).toBe(changes.length)
        expect(new Set(changes.map((change) => change.actor)).size, `revision ${r} has several actors`).toBe(1)
      }
      // Every change a writer was told was made is in the log; nothing is there that no writer began.
      const actors = new Set(log.map((change) => change.actor))
      for (const [actor, changed] of told.done) if (changed === 1) expect(actors.has(actor), `${actor} (${told.kinds.get(actor)}) was done but is not in the log`).toBe(true)
      for (const actor of actors) expect(told.done.has(actor) || told.begun.has(actor), `${actor} is in the log but was never begun`).toBe(true)
      // On LMDB every change is one revision; on Redis only an import of more than a chunk is not (none here).
      const revisionsOf = new Map<string, Set<number>>()
      for (const change of log) revisionsOf.set(change.actor, (revisionsOf.get(change.actor) ?? new Set()).add(change.revision))
      for (const [actor, revisions] of revisionsOf) expect(revisions.size, `${actor} made several revisions`).toBe(1)

      // Replay the log: the state after each revision, and when each committed.
      const keys = [...new Set(log.map((change) => change.key))].sort()
      const states: Map<string, State>[] = [new Map()]
      const times: number[] = [0]
      for (let r = 1; r <= revision; r++) {
        const state = new Map(states[r - 1])
        for (const change of byRevision.get(r)!) {
          if (change.type === 'delete') state.delete(change.key)
          else state.set(change.key, {value: Buffer.from(change.value!).toString(), expiresAt: change.expiresAt, metadata: change.metadata})
        }
        states.push(state)
        times.push(byRevision.get(r)![0].at)
      }
      const liveAt = (r: number, key: string): State | null => {
        const entry = states[r].get(key)
        return entry !== undefined && (entry.expiresAt === null || entry.expiresAt > times[r]) ? entry : null
      }
      // Every revision reads back exactly what the log says it holds.
      for (let r = 1; r <= revision; r++) {
        const read = await Promise.all(keys.map((key) => ns.getEntry(key, {revision: r})))
        keys.forEach((key, i) => {
          const entry = read[i]
          const seen = entry === null ? null : {value: Buffer.from(entry.value).toString(), expiresAt: entry.expiresAt, metadata: entry.metadata}
          expect(seen, `key ${key} at revision ${r}`).toEqual(liveAt(r, key))
        })
      }
      // A revert wrote each key as it was at its target (what was still live when it ran).
      for (const change of log.filter((entry) => entry.operation === 'revert')) {
        const then = liveAt(change.revertedTo!, change.key)
        if (change.type === 'delete') {
          expect(then === null || (then.expiresAt !== null && then.expiresAt <= change.at), `revert at ${change.revision} deleted ${change.key}`).toBe(true)
          continue
        }
        expect({value: Buffer.from(change.value!).toString(), expiresAt: change.expiresAt, metadata: change.metadata}, `revert at ${change.revision}`).toEqual(then)
      }
      // And the namespace now is the last revision.
      for (const entry of await Promise.all(keys.map(async (key) => [key, await ns.getEntry(key)] as const))) {
        const [key, current] = entry
        const expected = states[revision].get(key) ?? null
        if (current === null) expect(expected === null || (expected.expiresAt !== null && expected.expiresAt <= Date.now()), key).toBe(true)
        else expect({value: Buffer.from(current.value).toString(), expiresAt: current.expiresAt, metadata: current.metadata}).toEqual(expected)
      }
      console.log(`history model (${TEST_STORE}): ${revision} revisions, ${log.length} changes, ${kills} writers killed, ${told.done.size} changes told done`)
      expect(revision).toBeGreaterThan(50)
    } finally {
      await ns.close()
    }
  }, 120_000)
})
