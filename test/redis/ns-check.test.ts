/**
 * `kv ns check` on Redis, through the real CLI on the run's server: the keys and exp indexes and the record
 * strings of a namespace must agree. Each test damages its namespace behind kv's back with plain Redis
 * commands (a record deleted, an exp member removed or rescored, strays) and expects exit 4 with one line per
 * problem; leftovers of an import still staging are a note, not a problem.
 */
import {describe, expect, inject, it} from 'vitest'

import {checkNamespace, openNamespace, type NamespaceCheck} from '../../src/index.js'
import {runKv, tempDir, type KvResult} from '../helpers.js'
import {command, pipeline} from './servers.js'

const server = () => inject('redis')

let places = 0

/** A prefix of its own on the run's server, namespaces "victim" and "bystander" with 30 keys each, and `kv` bound to them. */
async function place() {
  const prefix = `chk${process.pid}-${++places}:`
  const store = `${server().url}?prefix=${prefix}`
  for (const name of ['victim', 'bystander']) {
    const ns = await openNamespace(name, {store, create: true})
    await ns.batch((batch) => {
      for (let i = 0; i < 30; i++) batch.put(`key:${i}`, `${name} ${i}`, {expiresIn: i % 3 === 0 ? 3600 : undefined, metadata: i % 5 === 0 ? {i} : undefined})
    })
    await ns.close()
  }
  const dataDir = tempDir()
  const kv = (args: string[]) => runKv(args, {dataDir, configDir: dataDir, env: {KV_STORE: store}})
  /** The key name of something of the victim's: its record (r:KEY), its indexes (keys, exp), its meta. */
  const victimKey = async (suffix: string) => {
    const id = (await command(server(), ['HGET', `${prefix}{registry}:namespaces`, 'victim'])) as string
    return `${prefix}{${id}}:${suffix}`
  }
  return {store, kv, victimKey}
}

function problemLines(result: KvResult, name = 'victim'): string[] {
  const prefix = `kv: namespace "${name}": `
  return result.stderr.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length))
}

function expectDamaged(result: KvResult): string[] {
  expect({code: result.code, signal: result.signal, stdout: result.text}, result.stderr).toEqual({code: 4, signal: null, stdout: 'victim\tdamaged\n'})
  return problemLines(result)
}

describe('kv ns check on Redis', () => {
  it('a sound namespace: exit 0, ok, counts from the indexes', async () => {
    const {kv} = await place()
    const result = await kv(['ns', 'check', 'victim'])
    expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({code: 0, stdout: 'victim\tok\n', stderr: ''})
    const report = JSON.parse((await kv(['ns', 'check', 'victim', '--json'])).text) as NamespaceCheck
    expect(report).toEqual({
      name: 'victim',
      ok: true,
      keys: 30,
      expiring: 10,
      expired: 0,
      problems: [],
      problemCount: 0,
      notes: [],
      bytesOnDisk: null,
      details: {store: 'redis', indexedKeys: 30, indexedExpiries: 10, records: 30, stagedChunks: 0},
    })
  })

  it('a record string deleted behind kv\'s back: "has no record"', async () => {
    const {kv, victimKey} = await place()
    await command(server(), ['DEL', await victimKey('r:key:4')])
    expect(expectDamaged(await kv(['ns', 'check', 'victim']))).toEqual(['keys: key "key:4" has no record'])
  })

  it('an exp member removed: the key would never be reclaimed', async () => {
    const {kv, victimKey} = await place()
    await command(server(), ['ZREM', await victimKey('exp'), 'key:3'])
    expect(expectDamaged(await kv(['ns', 'check', 'victim']))).toEqual([
      expect.stringMatching(/^key "key:3" expires at \S+Z but is not in exp \(it would never be reclaimed\)$/),
    ])
  })

  it('an exp score changed: the record and exp disagree', async () => {
    const {kv, victimKey} = await place()
    await command(server(), ['ZADD', await victimKey('exp'), 5, 'key:6'])
    expect(expectDamaged(await kv(['ns', 'check', 'victim']))).toEqual([expect.stringMatching(/^key "key:6" expires at \S+Z, but exp says 1970-01-01T00:00:00\.005Z$/)])
  })

  it('an exp member for a key that never expires (what a put that forgot to clear it leaves)', async () => {
    const {kv, victimKey} = await place()
    await command(server(), ['ZADD', await victimKey('exp'), 5, 'key:1'])
    expect(expectDamaged(await kv(['ns', 'check', 'victim']))).toEqual(['key "key:1" never expires, but exp says it expires at 1970-01-01T00:00:00.005Z'])
  })

  it('more than 100 problems: the report keeps the first 100 and counts them all', async () => {
    const {kv, victimKey} = await place()
    const exp = await victimKey('exp')
    await pipeline(server(), Array.from({length: 150}, (_, i) => ['ZADD', exp, 5, `ghost:${String(i).padStart(3, '0')}`]))
    const lines = expectDamaged(await kv(['ns', 'check', 'victim']))
    expect(lines.at(-1)).toBe('… and 145 more problems')
    const report = JSON.parse((await kv(['ns', 'check', 'victim', '--json'])).text) as NamespaceCheck
    expect({count: report.problemCount, kept: report.problems.length}).toEqual({count: 150, kept: 100})
  })

  it('strays: an exp member without a key, a record outside keys, a keys score that is not 0, a record that does not decode', async () => {
    const {kv, victimKey} = await place()
    await pipeline(server(), [
      ['ZADD', await victimKey('exp'), 5, 'ghost'],
      ['SET', await victimKey('r:orphan'), 'x'.repeat(40)],
      ['ZADD', await victimKey('keys'), 1, 'key:7'],
      ['SET', await victimKey('r:key:8'), 'short'],
    ])
    const lines = expectDamaged(await kv(['ns', 'check', 'victim']))
    // keys in its order: the member with a score of 1 sorts after every member with 0.
    expect(lines.slice(0, 4)).toEqual([
      'key "key:8": its record is 5 bytes, shorter than the 17-byte header',
      'keys: key "key:7" has score 1, not 0 (lists can miss it)',
      'exp: key "ghost" is not in keys, and has no record',
      'key "orphan" has a record but is not in keys (lists and exports skip it)',
    ])
    expect(lines).toHaveLength(4)
  })

  it('an import still staging is a note, not a problem (exit 0)', async () => {
    const {store, victimKey} = await place()
    const chunk = await victimKey('stage:abc123:0')
    await pipeline(server(), [
      ['RPUSH', chunk, 'k', 'record', ''],
      ['PEXPIRE', chunk, 60_000],
    ])
    const report = await checkNamespace('victim', {store})
    expect(report).toMatchObject({ok: true, problems: [], notes: [expect.stringMatching(/^1 staged import chunk of an import still staging, or one stopped while staging: the last expires in 1 min$/)]})
    expect(report.details).toMatchObject({stagedChunks: 1})
  })

  it('without a name: every namespace is checked, one damaged fails the run (exit 4)', async () => {
    const {kv, victimKey} = await place()
    await command(server(), ['DEL', await victimKey('r:key:0')])
    const result = await kv(['ns', 'check'])
    expect({code: result.code, stdout: result.text}).toEqual({code: 4, stdout: 'bystander\tok\nvictim\tdamaged\n'})
    expect(problemLines(result)).toEqual(['keys: key "key:0" has no record'])
    expect(problemLines(result, 'bystander')).toEqual([])
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('kv: 1 of 2 namespaces are damaged: victim')
  })

  it('writes by other clients during the check never look like damage', async () => {
    const {store} = await place()
    const writer = await openNamespace('victim', {store})
    let writing = true
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        if (i % 3 === 2) await writer.delete(`w:${i % 200}`)
        else await writer.put(`w:${i % 200}`, 'v', i % 2 ? {expiresIn: 60 + (i % 7)} : undefined)
      }
    })()
    try {
      for (let run = 0; run < 5; run++) expect((await checkNamespace('victim', {store})).problems).toEqual([])
    } finally {
      writing = false
      await writes
      await writer.close()
    }
  })
})
