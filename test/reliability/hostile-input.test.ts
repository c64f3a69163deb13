/**
 * Hostile input through the real CLI: names that try to leave the data dir, keys at and past the limits,
 * garbage and overflowing numbers, malformed settings JSON, huge argument lists. Every one must exit 2
 * with one line naming the problem, and leave every byte of the data dir as it was.
 */
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {createNamespace, openNamespace} from '../../src/index.js'
import {expectFailure, expectOutput, expectQuietSuccess, tree} from '../cli/cli-assert.js'
import {runKv, tempDir, type KvResult} from '../helpers.js'

interface BadInput {
  args: string[]
  /** What the one-line message must mention. */
  names: RegExp
  env?: Record<string, string>
  configJson?: string | Buffer
}

/**
 * Everything in the data dir, file contents included: "nothing written" is checked byte for byte. Except the
 * contents of LMDB's lock.mdb: it holds no data, only the reader table and mutexes of the processes that have
 * the namespace open, and every process that opens it changes it.
 */
function fingerprint(dataDir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const path of tree(dataDir)) {
    if (path.endsWith('/')) files[path] = 'dir'
    else files[path] = path.endsWith('/lock.mdb') ? 'lock file' : createHash('sha256').update(readFileSync(join(dataDir, path))).digest('hex')
  }
  return files
}

/** Runs `tasks` at most `width` at a time (each spawns a process). */
async function pool<T>(tasks: (() => Promise<T>)[], width = 8): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({length: width}, async () => {
      while (next < tasks.length) {
        const index = next++
        results[index] = await tasks[index]()
      }
    }),
  )
  return results
}

let dataDir: string
let tried = 0

/** Runs every bad input against the prepared data dir and checks the error contract and that nothing changed. */
async function expectAllRejected(inputs: BadInput[]) {
  const before = fingerprint(dataDir)
  const results = await pool(
    inputs.map((input) => async (): Promise<[BadInput, KvResult]> => {
      let configDir = tempDir('kv-config-')
      if (input.configJson !== undefined) {
        mkdirSync(join(configDir, 'kv'))
        writeFileSync(join(configDir, 'kv', 'config.json'), input.configJson)
      } else configDir = join(configDir, 'none')
      return [input, await runKv(input.args, {dataDir, configDir, env: input.env})]
    }),
  )
  for (const [input, result] of results) {
    const line = expectFailure(result, 2)
    expect(line, `${JSON.stringify(input.args)} ${JSON.stringify(input.env ?? {})}`).toMatch(/^kv: /)
    expect(line, `${JSON.stringify(input.args)}`).toMatch(input.names)
  }
  expect(fingerprint(dataDir)).toEqual(before)
  tried += inputs.length
}

// A data dir with a namespace holding one key, and a second, empty namespace (tempDir removes it after each test).
beforeEach(async () => {
  dataDir = tempDir('kv-hostile-')
  const ns = await openNamespace('default', {dataDir, create: true})
  await ns.put('k', 'original')
  await ns.close()
  await createNamespace('other', {dataDir})
})

const ESCAPING_NAMES = [
  '..',
  '../x',
  '../../etc',
  '.',
  '/',
  '/tmp/evil',
  'a/b',
  'a/../b',
  '\\',
  'a\\b',
  '..\\x',
  '.hidden',
  '.creating-x',
  'a\uFF0Fb', // fullwidth solidus
  'a\u2215b', // division slash
  'a\u2044b', // fraction slash
  '\uFF0E\uFF0E', // fullwidth full stops
  '\u212F', // script small e
  '\uFF41', // fullwidth a
  'a\u200Bb', // zero-width space
  'caf\u00E9',
  'UPPER',
  'a b',
  'a\nb',
  'x'.repeat(65),
  'x'.repeat(100_000),
]

describe('hostile input: exit 2, one line naming the problem, nothing written', () => {
  it('namespace names that try to leave the data dir or look like another name (-n, KV_NAMESPACE, ns create)', async () => {
    const inputs: BadInput[] = []
    ESCAPING_NAMES.forEach((name, i) => {
      inputs.push({args: ['put', '-n', name, 'k', 'v'], names: /namespace name/})
      // Every name through each other way in, spread over the names to keep the test quick.
      if (i % 3 === 0) inputs.push({args: ['put', 'k', 'v'], env: {KV_NAMESPACE: name}, names: /namespace name/})
      if (i % 3 === 1) inputs.push({args: ['ns', 'create', name], names: /namespace name/})
      if (i % 3 === 2) inputs.push({args: ['get', '-n', name, 'k'], names: /namespace name/})
    })
    inputs.push({args: ['put', '-n', '', 'k', 'v'], names: /namespace/})
    inputs.push({args: ['ns', 'create', ''], names: /namespace/})
    await expectAllRejected(inputs)
    expect(tree(join(dataDir, 'namespaces')).filter((path) => path.endsWith('/'))).toEqual(['default/', 'other/'])
  })

  it('namespace names with NUL and other control characters (the library; argv cannot carry NUL)', async () => {
    for (const name of ['a\u0000b', '\u0000', 'ns\u0000/../../x', 'a\u0007', 'a\u007F']) {
      await expect(openNamespace(name, {dataDir, create: true})).rejects.toMatchObject({code: 'NAMESPACE_NAME_INVALID'})
      await expect(createNamespace(name, {dataDir})).rejects.toMatchObject({code: 'NAMESPACE_NAME_INVALID'})
      tried += 2
    }
    expect(tree(join(dataDir, 'namespaces')).filter((path) => path.endsWith('/'))).toEqual(['default/', 'other/'])
  })

  it('keys at and past the 512-byte limit, counted in UTF-8 bytes', async () => {
    const tooLong = ['x'.repeat(513), '\u65E5'.repeat(171), '\u{1F600}'.repeat(128) + 'x', 'x'.repeat(100_000)]
    const inputs: BadInput[] = [{args: ['put', '', 'v'], names: /key is empty/}, {args: ['get', ''], names: /key is empty/}, {args: ['delete', ''], names: /key is empty/}]
    for (const key of tooLong) {
      inputs.push({args: ['put', key, 'v'], names: /key is \d+ bytes; the limit is 512 bytes/})
      inputs.push({args: ['get', key], names: /key is \d+ bytes; the limit is 512 bytes/})
      inputs.push({args: ['delete', 'k', key], names: /key is \d+ bytes; the limit is 512 bytes/})
    }
    await expectAllRejected(inputs)
    // The largest keys that fit are stored and read back exactly.
    const sandbox = {dataDir: tempDir(), configDir: tempDir()}
    for (const key of ['x'.repeat(512), '\u65E5'.repeat(170) + 'xy', '\u{1F600}'.repeat(128)]) {
      expectQuietSuccess(await runKv(['put', key, 'fits'], sandbox))
      expectOutput(await runKv(['get', key], sandbox), 'fits')
    }
  })

  it('--limit garbage and overflow', async () => {
    const garbage = ['1e400', '-1', 'NaN', '0x10', '', '99999999999999999999', '0', '100001', '1.5', 'Infinity', '5 5', '\uFF11\uFF10', '1e3', '+5']
    await expectAllRejected(garbage.map((limit) => ({args: ['list', `--limit=${limit}`], names: /limit/})))
  })

  it('--expires-in garbage and overflow (the key keeps its value and stays without expiry)', async () => {
    const garbage = ['1e400', '-1', 'NaN', '0x10', '', '99999999999999999999', '0', '0s', 'Infinity', '3153600001', '36501d', '1w', '5 m', '\uFF11\uFF10', '-0', '1e3']
    await expectAllRejected(garbage.map((ttl) => ({args: ['put', 'k', 'new', `--expires-in=${ttl}`], names: /TTL|expires/i})))
    const ns = await openNamespace('default', {dataDir})
    expect(await ns.getEntry('k')).toMatchObject({expiresAt: null})
    expect(await ns.get('k')).toBe('original')
    await ns.close()
  })

  it('--cursor garbage', async () => {
    const garbage = ['!!', '', '==', 'a b', 'x'.repeat(1000), '../..', '\u00E9']
    await expectAllRejected(garbage.map((cursor) => ({args: ['list', `--cursor=${cursor}`], names: /cursor/})))
  })

  it('a malformed settings file (JSON) or one naming a bad default namespace', async () => {
    const bad: (string | Buffer)[] = ['{', 'null', '[1,2', '\u0000', '{"defaultNamespace": 5', Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), '']
    const inputs: BadInput[] = bad.map((configJson) => ({args: ['put', 'k', 'v'], configJson, names: /settings file .* not valid JSON/}))
    inputs.push({args: ['put', 'k', 'v'], configJson: '{"defaultNamespace": "../x"}', names: /namespace name/})
    inputs.push({args: ['put', 'k', 'v'], configJson: '{"defaultNamespace": "/etc"}', names: /namespace name/})
    await expectAllRejected(inputs)
  })

  it('invalid UTF-8 on stdin is a value like any other: stored and read back byte for byte', async () => {
    const sandbox = {dataDir: tempDir(), configDir: tempDir()}
    const bytes = Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x00, 0x0a, 0xf4, 0x90, 0x80, 0x80])
    expectQuietSuccess(await runKv(['put', 'raw'], {...sandbox, input: bytes}))
    expectOutput(await runKv(['get', 'raw'], sandbox), bytes)
  })

/** 50,000 in `npm run test:stress`. */
const HUGE_ARGV_KEYS = Number(process.env.KV_HUGE_ARGV_KEYS ?? 5000)

  it(`a huge argument list: kv delete with ${HUGE_ARGV_KEYS} keys is one transaction, all or none`, async () => {
    const sandbox = {dataDir: tempDir(), configDir: tempDir()}
    const ns = await openNamespace('default', {dataDir: sandbox.dataDir, create: true})
    await ns.batch((batch) => {
      for (let i = 0; i < HUGE_ARGV_KEYS; i += 100) batch.put(`key:${i}`, 'v')
    })
    await ns.close()
    const keys = Array.from({length: HUGE_ARGV_KEYS}, (_, i) => `key:${i}`)
    const before = fingerprint(sandbox.dataDir)
    // One bad key at the very end: nothing is deleted.
    expectFailure(await runKv(['delete', ...keys, 'x'.repeat(513)], sandbox), 2)
    expect(fingerprint(sandbox.dataDir)).toEqual(before)
    tried++
    expectQuietSuccess(await runKv(['delete', ...keys], sandbox))
    expectOutput(await runKv(['list'], sandbox), '')
  }, 300_000)
})

describe('hostile input: figures', () => {
  it('reports how many bad inputs were tried', () => {
    console.log(`hostile input: ${tried} bad inputs rejected with exit 2, data dir unchanged`)
    expect(tried).toBeGreaterThan(100)
  })
})
