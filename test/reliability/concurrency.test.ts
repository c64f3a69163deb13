/**
 * Several processes on one namespace at once, through the library in real child processes: writers of
 * distinct keys, incrementers of one counter, and readers checking that every value they see is whole.
 * Then LMDB's reader table (126 slots): more short-lived processes than that, many SIGKILLed while they
 * hold a read snapshot, must not exhaust it (lmdb-js clears dead readers' slots when it opens and when the
 * table is full).
 */
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {tempDir} from '../helpers.js'

const WORKER = resolve(import.meta.dirname, 'children', 'worker.mjs')
const DIST = resolve(import.meta.dirname, '..', '..', 'dist', 'index.js')
const WRITERS = 8
const KEYS_PER_WRITER = Number(process.env.CONCURRENCY_KEYS ?? 40)
const INCREMENTERS = 6
const INCREMENTS = 10
const READERS = 4
/** LMDB's default reader table size in lmdb-js. */
const MAX_READERS = 126

interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function worker(dataDir: string, args: string[], options: {onLine?: (line: string) => void} = {}) {
  const child = spawn(process.execPath, [WORKER, DIST, dataDir, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
    if (options.onLine && stdout.includes('\n')) options.onLine(stdout.split('\n')[0])
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const finished = new Promise<Finished>((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolvePromise({code, signal, stdout, stderr}))
  })
  return {child, finished}
}

function expectClean(result: Finished, what: string) {
  expect({what, code: result.code, signal: result.signal, stderr: result.stderr}).toEqual({what, code: 0, signal: null, stderr: ''})
}

describe('several processes on one namespace', () => {
  it(`${WRITERS} writers, ${INCREMENTERS} incrementers and ${READERS} readers at once: no lost write, no error, no torn value`, async () => {
    const dataDir = tempDir('kv-concurrency-')
    const stop = join(dataDir, 'stop')
    // Create it first so that the processes race on writes, not on creation (creation races are tested in test/engine).
    await (await openNamespace('shared', {dataDir, create: true})).close()
    const readers = Array.from({length: READERS}, () => worker(dataDir, ['reader', stop]))
    const writers = Array.from({length: WRITERS}, (_, id) => worker(dataDir, ['writer', String(id), String(KEYS_PER_WRITER)]))
    const incrementers = Array.from({length: INCREMENTERS}, () => worker(dataDir, ['incr', String(INCREMENTS)]))
    for (const [i, result] of (await Promise.all([...writers, ...incrementers].map((w) => w.finished))).entries()) {
      expectClean(result, i < WRITERS ? `writer ${i}` : `incrementer ${i - WRITERS}`)
    }
    writeFileSync(stop, '')
    const readerResults = await Promise.all(readers.map((r) => r.finished))
    let reads = 0
    for (const [i, result] of readerResults.entries()) {
      expectClean(result, `reader ${i}`)
      const counts = JSON.parse(result.stdout) as {lists: number; gets: number; iterated: number}
      expect(counts.lists).toBeGreaterThan(0)
      reads += counts.gets + counts.iterated
    }

    const ns = await openNamespace('shared', {dataDir})
    try {
      expect(await ns.get('counter')).toBe(String(INCREMENTERS * INCREMENTS))
      const keys = await ns.list({prefix: 'w', limit: 100_000})
      expect(keys).toHaveLength(WRITERS * KEYS_PER_WRITER)
      for await (const {name, value} of ns.entries({prefix: 'w'})) expect(Buffer.from(value).toString('utf8').startsWith(`${name}|`)).toBe(true)
    } finally {
      await ns.close()
    }
    const processes = WRITERS + INCREMENTERS + READERS
    console.log(
      `concurrency: ${processes} processes, ${WRITERS * KEYS_PER_WRITER} puts + ${INCREMENTERS * INCREMENTS} increments, ${reads} values read whole, lost: 0`,
    )
  }, 300_000)
})

describe('the reader table', () => {
  it(`${MAX_READERS + 34} processes holding read snapshots, SIGKILLed, while another process keeps the namespace open: new processes still read`, async () => {
    const dataDir = tempDir('kv-readers-')
    const ns = await openNamespace('shared', {dataDir, create: true})
    await ns.put('k', 'v')
    try {
      // This process keeps the lock file open throughout, so nothing resets the reader table between kills.
      const total = MAX_READERS + 34
      const wave = 20
      let killed = 0
      for (let start = 0; start < total; start += wave) {
        const holders = Array.from({length: Math.min(wave, total - start)}, () => {
          const holder = worker(dataDir, ['hold'], {onLine: () => holder.child.kill('SIGKILL')})
          return holder
        })
        for (const result of await Promise.all(holders.map((h) => h.finished))) {
          expect(result.signal, result.stderr).toBe('SIGKILL')
          expect(result.stdout).toBe('holding\n')
          killed++
        }
      }
      // Our own reads and writes still work, and so do new processes.
      expect(await ns.get('k')).toBe('v')
      await ns.put('k', 'still writable')
      const readers = await Promise.all(Array.from({length: 30}, () => worker(dataDir, ['read', 'k']).finished))
      for (const [i, result] of readers.entries()) {
        expectClean(result, `reader ${i}`)
        expect(result.stdout).toBe('still writable\n')
      }
      console.log(`reader table: ${killed} processes SIGKILLed holding a snapshot, then ${readers.length} concurrent readers: all read`)
    } finally {
      await ns.close()
    }
  }, 300_000)
})
