/**
 * Crash safety: a writer process is SIGKILLed at pseudo-random moments, many times, in the middle of large
 * transactions (the way `kv import` writes) and of a stream of single puts. After every kill the namespace
 * must open, hold a state that existed (a transaction entirely or not at all; a prefix of the put stream,
 * including every write the writer saw resolve), and accept writes.
 *
 * CRASH_KILLS (default 12) sets the number of kills; `npm run test:stress` runs many more. CRASH_SEED picks
 * the delays.
 */
import {spawn} from 'node:child_process'
import {resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {all, tempDir} from '../helpers.js'

const KILLS = Number(process.env.CRASH_KILLS ?? 12)
const SEED = Number(process.env.CRASH_SEED ?? 6)
const BATCH_KEYS = 20_000
const WRITER = resolve(import.meta.dirname, 'children', 'writer.mjs')
const DIST = resolve(import.meta.dirname, '..', '..', 'dist', 'index.js')

/** mulberry32: the same delays on every run with the same seed. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

interface Killed {
  /** The number of the last transaction the writer saw resolve, or -1. */
  lastDone: number
  /** The number of the last transaction the writer began, or -1. */
  lastBegin: number
  /** A transaction had begun and not resolved when the kill came. */
  midTransaction: boolean
}

/** Starts the writer, lets it write for `delayMs` after its first "begin", then SIGKILLs it. */
function runAndKill(dataDir: string, args: string[], delayMs: number): Promise<Killed> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRITER, DIST, dataDir, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
    let lastDone = -1
    let lastBegin = -1
    let buffered = ''
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [word, number] = line.split(' ')
        if (word === 'begin') lastBegin = Number(number)
        if (word === 'done') lastDone = Number(number)
        timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs)
      }
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`the writer ended by itself (${code ?? signal}): ${stderr}`))
      else resolvePromise({lastDone, lastBegin, midTransaction: lastBegin > lastDone})
    })
  })
}

describe('crash safety: SIGKILL at random moments', () => {
  it(`${KILLS} kills of a writer of ${BATCH_KEYS}-key transactions and of a put stream (seed ${SEED})`, async () => {
    const dataDir = tempDir('kv-crash-')
    const next = random(SEED)
    let round = 0 // the next batch round to write
    let putCount = 0 // puts known to be stored: p000000 .. p(putCount-1)
    let midTransaction = 0
    let writesAfterKill = 0
    for (let kill = 0; kill < KILLS; kill++) {
      const batchMode = kill % 2 === 0
      const delay = Math.floor(30 + next() * 700)
      const killed = await runAndKill(dataDir, batchMode ? ['batch', String(BATCH_KEYS), String(round)] : ['puts', String(putCount)], delay)
      if (killed.midTransaction) midTransaction++

      const ns = await openNamespace('crash', {dataDir})
      try {
        // The batch keys: all from one round (a transaction entirely or not at all), at least the last one seen done.
        const rounds = new Set<number>()
        let batchKeys = 0
        for await (const {name, value} of ns.entries({prefix: 'b'})) {
          const match = /^round (\d+) key (\d+) (#*)$/.exec(Buffer.from(value).toString('utf8'))
          expect(match, `value of ${name}`).not.toBeNull()
          expect(Number(match![2])).toBe(Number(name.slice(1)))
          expect(match![3].length).toBe(Number(match![2]) % 50)
          rounds.add(Number(match![1]))
          batchKeys++
        }
        expect(rounds.size).toBeLessThanOrEqual(1)
        if (round > 0 || rounds.size > 0) {
          expect(batchKeys).toBe(BATCH_KEYS)
          const stored = [...rounds][0]
          // Batch rounds are numbered on from the stored one: the last one done, or the one in progress.
          expect(stored).toBeGreaterThanOrEqual(batchMode ? Math.max(killed.lastDone, round - 1) : round - 1)
          expect(stored).toBeLessThanOrEqual(batchMode ? Math.max(killed.lastBegin, round - 1) : round - 1)
          round = stored + 1
        }

        // The put stream: exactly p0 .. p(n-1), no gap, every put that resolved included.
        const puts = (await all(ns.entries({prefix: 'p'}))).map(({name, value}) => ({name, value: Buffer.from(value).toString('utf8')}))
        puts.forEach(({name, value}, i) => {
          expect(name).toBe(`p${String(i).padStart(6, '0')}`)
          expect(value).toBe(`put ${i} ${'*'.repeat(i % 70)}`)
        })
        if (!batchMode) expect(puts.length).toBeGreaterThanOrEqual(killed.lastDone + 1)
        expect(puts.length).toBeGreaterThanOrEqual(putCount)
        putCount = puts.length

        // And it accepts writes.
        await ns.put(`after-kill:${kill}`, 'ok')
        expect(await ns.get(`after-kill:${kill}`)).toBe('ok')
        writesAfterKill++
      } finally {
        await ns.close()
      }
    }
    console.log(
      `crash safety: ${KILLS} kills survived (${midTransaction} inside an unfinished transaction), ${round} batch rounds of ${BATCH_KEYS} keys, ${putCount} puts, ${writesAfterKill} writes after a kill, lost: 0`,
    )
    expect(midTransaction).toBeGreaterThan(0)
  }, 600_000)
})
