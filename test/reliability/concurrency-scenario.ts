/**
 * Several processes on one namespace at once, through the library in real child processes: writers of
 * distinct keys, incrementers of one counter, and readers checking that every value they see is whole.
 * Shared by the LMDB test (test/reliability/concurrency.test.ts) and the Redis ones (test/redis/).
 */
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {expect} from 'vitest'

import {openNamespace, type LocationOptions} from '../../src/index.js'
import {all, tempDir} from '../helpers.js'

const WORKER = resolve(import.meta.dirname, 'children', 'worker.mjs')
const DIST = resolve(import.meta.dirname, '..', '..', 'dist', 'index.js')
export const WRITERS = 8
export const KEYS_PER_WRITER = Number(process.env.CONCURRENCY_KEYS ?? 40)
export const INCREMENTERS = 6
export const INCREMENTS = 10
export const READERS = 4

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A worker process (children/worker.mjs) on the namespace "shared" at `location`. */
export function worker(location: LocationOptions, args: string[], options: {onLine?: (line: string) => void} = {}) {
  const child = spawn(process.execPath, [WORKER, DIST, JSON.stringify(location), ...args], {stdio: ['ignore', 'pipe', 'pipe']})
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

export function expectClean(result: Finished, what: string) {
  expect({what, code: result.code, signal: result.signal, stderr: result.stderr}).toEqual({what, code: 0, signal: null, stderr: ''})
}

/** Runs the writers, incrementers and readers at once; checks nothing was lost and no value was torn. */
export async function concurrentWritersAndReaders(location: LocationOptions): Promise<string> {
  const stop = join(tempDir('kv-concurrency-'), 'stop')
  // Create it first so that the processes race on writes, not on creation (creation races are tested elsewhere).
  await (await openNamespace('shared', {...location, create: true})).close()
  const readers = Array.from({length: READERS}, () => worker(location, ['reader', stop]))
  const writers = Array.from({length: WRITERS}, (_, id) => worker(location, ['writer', String(id), String(KEYS_PER_WRITER)]))
  const incrementers = Array.from({length: INCREMENTERS}, () => worker(location, ['incr', String(INCREMENTS)]))
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
  const ns = await openNamespace('shared', location)
  try {
    expect(await ns.get('counter')).toBe(String(INCREMENTERS * INCREMENTS))
    const keys = await ns.list({prefix: 'w', limit: 100_000})
    expect(keys).toHaveLength(WRITERS * KEYS_PER_WRITER)
    for (const {name, value} of await all(ns.entries({prefix: 'w'}))) expect(Buffer.from(value).toString('utf8').startsWith(`${name}|`)).toBe(true)
  } finally {
    await ns.close()
  }
  const processes = WRITERS + INCREMENTERS + READERS
  return `${processes} processes, ${WRITERS * KEYS_PER_WRITER} puts + ${INCREMENTERS * INCREMENTS} increments, ${reads} values read whole, lost: 0`
}
