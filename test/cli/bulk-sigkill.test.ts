/**
 * `kv import` killed with SIGKILL at random moments must leave all of its records or none.
 *
 * LMDB writes the import in one transaction: a kill anywhere leaves nothing of it. Redis stages the records in
 * chunks that expire by themselves (STAGE_TTL_MS, an hour), then marks a commit in the namespace's meta hash
 * and applies the chunks one script at a time; a kill after the commit began is finished by the next process
 * that opens the namespace (store/redis/import.ts). So on Redis the kills are aimed at both phases, and what
 * the server holds is looked at (with redis-cli) before the namespace is opened again.
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {describe, expect, it} from 'vitest'

import {openNamespace, type LocationOptions} from '../../src/index.js'
import {childEnv, KV_BIN, kvSandbox, tempDir} from '../helpers.js'
import {TEST_STORE} from '../store-under-test.js'

const RECORDS = 200_000
const LAST_KEY = `key:${String(RECORDS - 1).padStart(7, '0')}`
/** How long a staged chunk lives on Redis unless its commit begins (STAGE_TTL_MS in store/redis/import.ts). */
const STAGE_TTL_MS = 3_600_000

async function writeRecords(path: string): Promise<void> {
  const out = createWriteStream(path)
  for (let i = 0; i < RECORDS; i += 10_000) {
    let chunk = ''
    for (let j = i; j < i + 10_000; j++) chunk += `${JSON.stringify({key: `key:${String(j).padStart(7, '0')}`, value: `value ${j} `.padEnd(40, '.')})}\n`
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve(undefined))))
}

interface Ended {
  signal: NodeJS.Signals | null
  code: number | null
}

/** Starts `kv import`; `kill(child, startedAt)` decides when to SIGKILL it (it may finish first). */
function importKilled(file: string, env: NodeJS.ProcessEnv, kill: (child: ChildProcess, startedAt: number) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KV_BIN, 'import', file, '-n', 'target'], {env, stdio: 'ignore'})
    kill(child, Date.now())
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve({code, signal}))
  })
}

const afterMs = (ms: number) => (child: ChildProcess) => {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  child.once('exit', () => clearTimeout(timer))
}

/** Deletes the records of a complete import, through kv's library. */
async function emptied(location: LocationOptions): Promise<void> {
  const ns = await openNamespace('target', location)
  try {
    expect(await ns.deletePrefix('')).toBe(RECORDS)
  } finally {
    await ns.close()
  }
}

/**
 * Opens the namespace (on Redis this finishes an import whose commit began), requires all records or none
 * (`expected` when the phase of the kill tells which), checks that it takes writes, and empties it again.
 * Returns how many records it held.
 */
async function expectAllOrNone(location: LocationOptions, what: string, expected?: number): Promise<number> {
  const ns = await openNamespace('target', location)
  try {
    const {keys} = await ns.stats()
    expect([0, RECORDS], `keys after ${what}`).toContain(keys)
    if (expected !== undefined) expect(keys, `keys after ${what}`).toBe(expected)
    if (keys === RECORDS) {
      expect(await ns.get(LAST_KEY)).toMatch(/^value 199999 \.+$/)
      await ns.deletePrefix('key:')
    }
    await ns.put('written after the kill', 'ok')
    expect(await ns.get('written after the kill')).toBe('ok')
    await ns.delete('written after the kill')
    return keys
  } finally {
    await ns.close()
  }
}

describe('kv import killed with SIGKILL', () => {
  it(
    `leaves all ${RECORDS.toLocaleString('en-US')} records or none, and a namespace that opens and takes writes`,
    async () => {
      const {kv, env, location} = kvSandbox()
      const file = join(tempDir(), 'records.ndjson')
      await writeRecords(file)
      expect((await kv(['ns', 'create', 'target'])).code).toBe(0)
      const childrenEnv = childEnv(env)
      if (TEST_STORE === 'lmdb') await killsOnLmdb(file, childrenEnv, location)
      else await killsOnRedis(file, childrenEnv, location)
    },
    240_000,
  )
})

/** LMDB: one transaction, so kills spread over the whole import. */
async function killsOnLmdb(file: string, env: NodeJS.ProcessEnv, location: LocationOptions): Promise<void> {
  // How long a whole import takes here, so the kills land while it reads and writes: the faster of two
  // (the first one runs cold and may take much longer than the ones killed after it).
  let fullMs = Infinity
  for (let run = 0; run < 2; run++) {
    const started = Date.now()
    expect(await importKilled(file, env, () => {})).toEqual({code: 0, signal: null})
    fullMs = Math.min(fullMs, Date.now() - started)
    await emptied(location)
  }

  const outcomes: string[] = []
  for (const fraction of [0.35, 0.5, 0.65, 0.8, 0.9, 0.97].map((f) => f + (Math.random() - 0.5) * 0.05)) {
    const ended = await importKilled(file, env, afterMs(Math.round(fullMs * fraction)))
    const keys = await expectAllOrNone(location, `a kill at ${Math.round(fraction * 100)}% (${JSON.stringify(ended)})`)
    outcomes.push(`${ended.signal ?? ended.code}:${keys}`)
  }
  // The test means something only if most imports really were killed midway.
  expect(outcomes.filter((outcome) => outcome.startsWith('SIGKILL')).length, outcomes.join(' ')).toBeGreaterThanOrEqual(3)
}

/** Runs redis-cli against the server of `store` (its URL without the ?prefix=), with `input` as commands. */
function redisCli(store: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('redis-cli', ['-u', serverUrl(store), ...args], {maxBuffer: 64 << 20}, (error, stdout) => (error ? reject(error) : resolve(stdout)))
    // redis-cli reads commands from stdin only when none are given: it may be gone before it reads.
    child.stdin!.on('error', () => {})
    child.stdin!.end(input ?? '')
  })
}

function serverUrl(store: string): string {
  const url = new URL(store)
  return `${url.protocol}//${url.host}`
}

/** The keys kv keeps for namespace `name` on Redis (store/redis/layout.ts). */
async function redisKeysOf(store: string, name: string): Promise<{meta: string; stagePattern: string}> {
  const prefix = new URL(store).searchParams.get('prefix')!
  const id = (await redisCli(store, ['HGET', `${prefix}{registry}:namespaces`, name])).trim()
  expect(id).not.toBe('')
  return {meta: `${prefix}{${id}}:meta`, stagePattern: `${prefix}{${id}}:stage:*`}
}

/** Every staged chunk key of the namespace, with its time to live in ms (-1: permanent). */
async function stagedChunks(store: string, stagePattern: string): Promise<Map<string, number>> {
  const keys = (await redisCli(store, ['--scan', '--pattern', stagePattern])).split('\n').filter(Boolean)
  if (keys.length === 0) return new Map()
  const ttls = (await redisCli(store, [], keys.map((key) => `PTTL ${key}\n`).join(''))).split('\n').filter(Boolean).map(Number)
  expect(ttls.length).toBe(keys.length)
  return new Map(keys.map((key, i) => [key, ttls[i]]))
}

/** The meta hash's first `committing:<import>` field (an import's commit mark), or nil. KEYS: meta. */
const COMMIT_MARK = "for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do if string.sub(f, 1, 11) == 'committing:' then return f end end return false"

/**
 * Watches the meta hash for an import's commit mark with one redis-cli (a reply every 5 ms): calls `onCommit`
 * when it appears, and tells when it was seen set and cleared. Stop it with `stop()`.
 */
function watchCommit(store: string, meta: string, onCommit: () => void = () => {}) {
  const watcher = spawn('redis-cli', ['-u', serverUrl(store), '-r', '-1', '-i', '0.005', 'EVAL', COMMIT_MARK, '1', meta], {stdio: ['ignore', 'pipe', 'ignore']})
  const seen: {began?: number; ended?: number} = {}
  createInterface({input: watcher.stdout}).on('line', (line) => {
    if (line.trim() !== '' && seen.began === undefined) {
      seen.began = Date.now()
      onCommit()
    } else if (line.trim() === '' && seen.began !== undefined && seen.ended === undefined) seen.ended = Date.now()
  })
  return {
    seen,
    stop: () => {
      watcher.kill()
    },
  }
}

/**
 * Redis: kills while staging (at fractions of the time staging took in a whole import) and while committing
 * (as soon as the watcher sees the commit begin, plus a fraction of the time committing took). Before the
 * namespace is opened again, the server tells which phase the kill hit: a `committing` mark (the import must
 * then be there in full once the namespace is opened), or staged chunks only (nothing may be imported, and
 * every chunk must expire by itself).
 */
async function killsOnRedis(file: string, env: NodeJS.ProcessEnv, location: LocationOptions): Promise<void> {
  const store = location.store as string
  const {meta, stagePattern} = await redisKeysOf(store, 'target')

  // Whole imports, timed: how long staging and committing take here (the faster of two runs each: the first
  // runs cold and may take much longer than the ones killed after it).
  let stagingMs = Infinity
  let committingMs = Infinity
  for (let run = 0; run < 2; run++) {
    const timing = watchCommit(store, meta)
    let startedAt = 0
    const ended = await importKilled(file, env, (_, at) => {
      startedAt = at
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    timing.stop()
    expect(ended).toEqual({code: 0, signal: null})
    const {began, ended: committed} = timing.seen
    expect(began, 'the watcher saw the commit begin').toBeDefined()
    expect(committed, 'the watcher saw the commit end').toBeDefined()
    stagingMs = Math.min(stagingMs, began! - startedAt)
    committingMs = Math.min(committingMs, committed! - began!)
    await emptied(location)
    expect(await stagedChunks(store, stagePattern)).toEqual(new Map())
  }

  const jitter = () => (Math.random() - 0.5) * 0.05
  const plans: Array<{what: string; kill: (child: ChildProcess, startedAt: number) => void}> = [
    ...[0.3, 0.55, 0.8].map((fraction) => {
      const f = fraction + jitter()
      return {what: `a kill at ${Math.round(f * 100)}% of staging`, kill: afterMs(Math.round(stagingMs * f))}
    }),
    ...[0.05, 0.3, 0.6].map((fraction) => {
      const f = fraction + jitter()
      return {
        what: `a kill ${Math.round(f * 100)}% into committing`,
        kill: (child: ChildProcess) => {
          const watcher = watchCommit(store, meta, () => setTimeout(() => child.kill('SIGKILL'), Math.round(committingMs * f)))
          child.once('exit', watcher.stop)
        },
      }
    }),
  ]

  const phases: string[] = []
  for (const {what, kill} of plans) {
    const stagedBefore = await stagedChunks(store, stagePattern)
    const ended = await importKilled(file, env, kill)
    // What the kill left on the server before any process opens the namespace (which finishes a commit):
    // a commit mark, or chunks of its own staged (earlier kills' chunks are still there, expiring).
    const committing = (await redisCli(store, ['EVAL', COMMIT_MARK, '1', meta])).trim()
    const staged = [...(await stagedChunks(store, stagePattern))].filter(([key]) => !stagedBefore.has(key))
    let phase: string
    let expected: number | undefined
    if (ended.signal !== 'SIGKILL') [phase, expected] = ['finished', RECORDS]
    else if (committing !== '') [phase, expected] = ['committing', RECORDS]
    else if (staged.length > 0) [phase, expected] = ['staging', 0]
    // Killed before it staged anything, or after its commit ended: all or none is all there is to check.
    else [phase, expected] = ['before staging or after committing', undefined]
    phases.push(`${what}: ${phase}`)
    if (phase === 'finished') expect(ended, what).toEqual({code: 0, signal: null})
    // Nothing it staged may outlive its hour unless its commit began (which makes its chunks permanent).
    if (phase !== 'committing') for (const [key, ttl] of staged) expect({key, ttl, expires: ttl > 0 && ttl <= STAGE_TTL_MS}, what).toMatchObject({key, expires: true})

    await expectAllOrNone(location, `${what} (${phase})`, expected)

    // Opening finished any commit: its mark and its chunks are gone; what is left is staged and expires.
    expect((await redisCli(store, ['EVAL', COMMIT_MARK, '1', meta])).trim(), what).toBe('')
    for (const [key, ttl] of await stagedChunks(store, stagePattern)) {
      expect({key, ttl, expires: ttl > 0 && ttl <= STAGE_TTL_MS}, what).toMatchObject({key, expires: true})
    }
  }
  // The test means something only if kills hit both phases.
  expect(phases.filter((phase) => phase.endsWith(': staging')).length, phases.join('; ')).toBeGreaterThanOrEqual(1)
  expect(phases.filter((phase) => phase.endsWith(': committing')).length, phases.join('; ')).toBeGreaterThanOrEqual(1)
}
