import {spawn} from 'node:child_process'
import {cpSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {open as openLmdb} from 'lmdb'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {all, manualClock, tempDir} from '../helpers.js'
import {close, expectKvError, open} from '../contract/fixture.js'

/**
 * test/fixtures/v0.1.0/ holds a namespace written by kv 0.1.0 itself (storage format 1: values without a
 * header in `values`, expiry times in `expiries`) and what it holds, read back by 0.1.0 (expected.ndjson).
 */
const FIXTURE = resolve(import.meta.dirname, '..', 'fixtures', 'v0.1.0')
const DIST = resolve(import.meta.dirname, '..', '..', 'dist', 'index.js')
/** The clock the fixture was written at. */
const T0 = Date.UTC(2026, 0, 1)

interface Expected {
  key: string
  value: string
  expiresAt: number | null
}

const expected: Expected[] = readFileSync(join(FIXTURE, 'expected.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Expected)

/** A private copy of the 0.1.0 data dir (opening upgrades it in place). */
function legacyDataDir(): string {
  const dataDir = tempDir('kv-legacy-')
  cpSync(join(FIXTURE, 'data'), dataDir, {recursive: true})
  return dataDir
}

/** The storage format recorded in a namespace, read with plain lmdb-js (undefined: none, i.e. format 1). */
function storedFormat(dataDir: string, name = 'legacy'): string | undefined {
  const env = openLmdb({path: join(dataDir, 'namespaces', name), noSubdir: false, maxDbs: 8, readOnly: true})
  try {
    // Read-only, a database that does not exist opens as undefined.
    const value = env.openDB({name: 'kv-meta', keyEncoding: 'binary', encoding: 'binary'})?.get(Buffer.from('format'))
    return value === undefined ? undefined : Buffer.from(value).toString()
  } finally {
    void env.close()
  }
}

describe('a namespace written by kv 0.1.0 (storage format 1)', () => {
  it('is upgraded on first open: every key, value (text and binary), expiry time and the key order unchanged', async () => {
    const dataDir = legacyDataDir()
    expect(storedFormat(dataDir)).toBeUndefined()
    // The clock stays at the moment the fixture was written, so keys that expire soon after are still live.
    const ns = await open('legacy', {dataDir, clock: manualClock(T0)})
    expect(storedFormat(dataDir)).toBe('3')
    const entries = await all(ns.entries())
    expect(entries.map(({name, value, expiresAt}) => ({key: name, value: Buffer.from(value).toString('base64'), expiresAt}))).toEqual(expected)
    expect(entries).toHaveLength(3011)
    // Reads, metadata (none yet), and writes all work on the upgraded namespace.
    expect(await ns.getWithMetadata('unicode:日本語')).toEqual({value: 'こんにちは', metadata: null})
    expect(Buffer.from((await ns.get('binary:all-bytes', 'bytes'))!)).toEqual(Buffer.from(Uint8Array.from({length: 256}, (_, i) => i)))
    await ns.put('after-upgrade', 'v', {metadata: {upgraded: true}})
    expect(await ns.incr('n:00000', {by: 0}).catch((error: Error) => error.message)).toMatch(/not an integer/)
    await close(ns)
    const again = await open('legacy', {dataDir, clock: manualClock(T0)})
    expect((await again.getEntry('after-upgrade'))?.metadata).toEqual({upgraded: true})
    expect(await again.stats()).toMatchObject({keys: 3012, expiring: expected.filter((entry) => entry.expiresAt !== null).length, expired: 0})
  })

  it('keeps expiry times exact: keys expire at the same millisecond as before, and are reclaimed', async () => {
    const dataDir = legacyDataDir()
    const clock = manualClock(T0)
    const ns = await open('legacy', {dataDir, clock})
    const expiring = expected.filter((entry) => entry.expiresAt !== null).sort((a, b) => a.expiresAt! - b.expiresAt!)
    const first = expiring[0]
    clock.set(first.expiresAt! - 1)
    expect(await ns.get(first.key)).not.toBeNull()
    clock.set(first.expiresAt!)
    expect(await ns.get(first.key)).toBeNull()
    clock.set(T0 + 3_600_000 + 1)
    const live = expected.filter((entry) => entry.expiresAt === null || entry.expiresAt > T0 + 3_600_001)
    expect(await ns.list({limit: 100_000})).toEqual(live.map((entry) => entry.key))
    expect(await ns.purgeExpired()).toBe(expected.length - live.length)
    expect(await ns.stats()).toMatchObject({keys: live.length, expired: 0})
  })

  it('several processes opening it at once: one upgrades, all see the same data, nothing is lost', async () => {
    const dataDir = legacyDataDir()
    const script = `
      const {openNamespace} = await import(${JSON.stringify(DIST)})
      const ns = await openNamespace('legacy', {dataDir: process.argv[1], clock: () => ${T0}})
      await ns.put('written-by-' + process.pid, 'x')
      const keys = await ns.list({limit: 100000})
      console.log(keys.length)
    `
    const runs = await Promise.all(
      Array.from(
        {length: 6},
        () =>
          new Promise<{code: number | null; out: string; err: string}>((done) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {stdio: ['ignore', 'pipe', 'pipe']})
            let out = ''
            let err = ''
            child.stdout.on('data', (chunk) => (out += chunk))
            child.stderr.on('data', (chunk) => (err += chunk))
            child.on('close', (code) => done({code, out, err}))
          }),
      ),
    )
    for (const run of runs) {
      expect(run).toMatchObject({code: 0, err: ''})
      expect(Number(run.out)).toBeGreaterThanOrEqual(3012)
    }
    const ns = await openNamespace('legacy', {dataDir, clock: () => T0})
    const keys = await ns.list({limit: 100_000})
    await ns.close()
    expect(keys.filter((key) => key.startsWith('written-by-'))).toHaveLength(6)
    expect(keys.filter((key) => !key.startsWith('written-by-'))).toEqual(expected.map((entry) => entry.key))
  })

  it('a namespace of a newer format than this kv knows is refused (STORAGE_FAILURE), never misread', async () => {
    const dataDir = legacyDataDir()
    await close(await open('legacy', {dataDir}))
    const env = openLmdb({path: join(dataDir, 'namespaces', 'legacy'), noSubdir: false, maxDbs: 8, overlappingSync: false, pageSize: 4096})
    await env.openDB({name: 'kv-meta', keyEncoding: 'binary', encoding: 'binary'}).put(Buffer.from('format'), Buffer.from('4'))
    await env.close()
    const error = await expectKvError(openNamespace('legacy', {dataDir}), 'STORAGE_FAILURE')
    expect(error.message).toBe('namespace "legacy" is stored in format 4, newer than this kv understands (3): upgrade kv to use it')
  })
})

/**
 * test/fixtures/format-2/ holds a namespace written by the last kv of storage format 2 (make.mjs says how):
 * records with metadata and random versions, no revisions, no history.
 */
const FORMAT_2 = resolve(import.meta.dirname, '..', 'fixtures', 'format-2')

interface Expected2 extends Expected {
  metadata: unknown
}

const expected2: Expected2[] = readFileSync(join(FORMAT_2, 'expected.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Expected2)

describe('a namespace written by kv of storage format 2', () => {
  function format2DataDir(): string {
    const dataDir = tempDir('kv-format2-')
    cpSync(join(FORMAT_2, 'lmdb'), dataDir, {recursive: true})
    return dataDir
  }

  it('is upgraded on first open to format 3: every entry unchanged, at revision 0, with history from then on', async () => {
    const dataDir = format2DataDir()
    expect(storedFormat(dataDir, 'flags')).toBe('2')
    const clock = manualClock(T0)
    const ns = await open('flags', {dataDir, clock})
    expect(storedFormat(dataDir, 'flags')).toBe('3')
    const entries = await all(ns.entries())
    expect(entries.map(({name, value, expiresAt, metadata}) => ({key: name, value: Buffer.from(value).toString('base64'), expiresAt, metadata}))).toEqual(expected2)
    expect(entries.every((entry) => entry.revision === 0)).toBe(true)
    expect(await ns.historyState()).toEqual({revision: 0, oldest: 0, retention: {maxAge: 30 * 86_400, maxRevisions: 100_000}})
    expect((await ns.history()).changes).toEqual([])
    // A version from before the upgrade still guards a conditional write.
    const flags = (await ns.getEntry('feature-flags'))!
    expect(await ns.put('feature-flags', 'changed', {ifVersion: flags.version})).toBe(true)
    expect(await ns.put('feature-flags', 'again', {ifVersion: flags.version})).toBe(false)
    // The entry it had before history began is revision 0's.
    expect(await ns.get('feature-flags', {revision: 0})).toBe(JSON.stringify({newCheckout: true, beta: ['a', 'b']}))
    expect((await ns.getEntry('feature-flags', {revision: 0}))?.metadata).toEqual({owner: 'ana', ticket: 'OPS-17'})
    expect((await ns.history({key: 'feature-flags'})).changes.map((change) => [change.revision, change.type])).toEqual([[1, 'put']])
    await ns.revert({key: 'feature-flags', to: 0})
    expect((await ns.getEntry('feature-flags'))?.metadata).toEqual({owner: 'ana', ticket: 'OPS-17'})
    await close(ns)
    // Opening it again upgrades nothing more.
    const again = await open('flags', {dataDir, clock})
    expect((await again.historyState()).revision).toBe(2)
  })
})
