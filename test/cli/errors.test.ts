import {existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

const EXIT_CODE_LINES = [
  /0\s+success/,
  /1\s+not found \(key or namespace\)/,
  /2\s+invalid input or usage/,
  /3\s+conflict \(namespace already exists; key exists or changed meanwhile\)/,
  /4\s+storage failure/,
]

describe('--help', () => {
  it('kv --help, kv get --help (and the other commands) document the exit codes', async () => {
    const {kv} = kvSandbox()
    const commands = [['--help'], ['get', '--help'], ['put', '--help'], ['list', '--help'], ['delete', '--help'], ['ns', 'create', '--help']]
    const results = await Promise.all(commands.map((args) => kv(args)))
    for (const [i, result] of results.entries()) {
      expect(result.code, commands[i].join(' ')).toBe(0)
      expect(result.text).toContain('EXIT CODES')
      for (const line of EXIT_CODE_LINES) expect(result.text, commands[i].join(' ')).toMatch(line)
    }
  })
})

describe('usage errors: exit 2, one line on stderr, nothing on stdout', () => {
  it('for missing and extra arguments, unknown flags and flags without values', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const cases = [
      ['get'],
      ['get', 'a', 'b'],
      ['get', 'k', '--bogus'],
      ['put'],
      ['put', 'k', 'v', 'extra'],
      ['put', 'k', 'v', '--expires-in'],
      ['put', 'k', 'v', '--bogus'],
      ['put', 'k', '--file'],
      ['list', 'extra'],
      ['list', '--limit'],
      ['list', '--bogus'],
      ['ns', 'create'],
      ['get', ''],
      ['put', '', 'v'],
    ]
    const results = await Promise.all(cases.map((args) => kv(args)))
    for (const [i, result] of results.entries()) {
      expect(result.code, `kv ${cases[i].join(' ')}: ${result.stderr}`).toBe(2)
      expectFailure(result, 2)
    }
    expectOutput(await kv(['get', 'k']), 'v')
  })

  it('with --json, errors of get and list are one JSON line on stderr', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const cases: [string[], number, string][] = [
      [['get', 'missing', '--json'], 1, 'KEY_NOT_FOUND'],
      [['get', '--json'], 2, 'USAGE'],
      [['get', 'k', '--json', '--bogus'], 2, 'USAGE'],
      [['get', 'x'.repeat(513), '--json'], 2, 'KEY_TOO_LONG'],
      [['get', 'k', '--json', '-n', 'ghost'], 1, 'NAMESPACE_NOT_FOUND'],
      [['get', 'k', '--json', '-n', 'Bad/Name'], 2, 'NAMESPACE_NAME_INVALID'],
      [['list', '--json', '--limit', '0'], 2, 'LIMIT_INVALID'],
      [['list', '--json', '--cursor', '%%'], 2, 'CURSOR_INVALID'],
      [['list', '--json', '--bogus'], 2, 'USAGE'],
      [['list', '--json', '-n', 'ghost'], 1, 'NAMESPACE_NOT_FOUND'],
    ]
    const results = await Promise.all(cases.map(([args]) => kv(args)))
    for (const [i, result] of results.entries()) {
      const [args, exitCode, code] = cases[i]
      expect(result.code, `kv ${args.join(' ')}: ${result.stderr}`).toBe(exitCode)
      expectFailure(result, exitCode, {json: true, code})
    }
  })
})

describe('storage failures: exit 4', () => {
  it('a data dir that is a regular file (via --data-dir)', async () => {
    const {kv} = kvSandbox()
    const file = join(tempDir(), 'not-a-dir')
    writeFileSync(file, 'x')
    const [put, create, get] = await Promise.all([
      kv(['put', 'k', 'v', '--data-dir', file]),
      kv(['ns', 'create', 'foo', '--data-dir', file, '--json']),
      kv(['get', 'k', '--data-dir', file]),
    ])
    expectFailure(put, 4)
    expectFailure(create, 4, {json: true, code: 'STORAGE_FAILURE'})
    // Nothing there to read: an empty default namespace.
    expectFailure(get, 1)
  })

  it('a data dir that is a regular file (via KV_DATA_DIR): still exactly one line on stderr', async () => {
    const file = join(tempDir(), 'not-a-dir')
    writeFileSync(file, 'x')
    const {kv} = kvSandbox()
    const put = await kv(['put', 'k', 'v'], {env: {KV_DATA_DIR: file}})
    expectFailure(put, 4)
  })

  it('a namespace whose data file is not an LMDB file fails with exit 4 and one line, instead of crashing', async () => {
    const {kv, dataDir} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    writeFileSync(join(dataDir, 'namespaces', 'default', 'data.mdb'), 'this is not an LMDB file\n')
    const [get, put, list] = await Promise.all([kv(['get', 'k']), kv(['put', 'k', 'v2']), kv(['list', '--json'])])
    expectFailure(get, 4)
    expectFailure(put, 4)
    expectFailure(list, 4, {json: true, code: 'STORAGE_FAILURE'})
  })

  it('a truncated data file fails with exit 4 and one line, instead of crashing with SIGBUS', async () => {
    const {kv, dataDir} = kvSandbox()
    const seeded = await openNamespace('default', {dataDir, create: true})
    await seeded.batch((batch) => {
      for (let i = 0; i < 3000; i++) batch.put(`key-${i}`, 'x'.repeat(100))
    })
    await seeded.close()
    const dataFile = join(dataDir, 'namespaces', 'default', 'data.mdb')
    truncateSync(dataFile, Math.floor(statSync(dataFile).size / 2 / 4096) * 4096)
    const [get, list] = await Promise.all([kv(['get', 'key-1']), kv(['list'])])
    expectFailure(get, 4)
    expectFailure(list, 4)
    expect(get.stderr).toMatch(/data\.mdb is truncated/)
  })

  it('a data file shorter than its last allocated page but holding every root page opens normally', async () => {
    const {kv, dataDir} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    // LMDB counts pages allocated and freed within one transaction in mm_last_pg without ever writing them,
    // so a sound file can end before that page: raise mm_last_pg in both meta pages to simulate it.
    const dataFile = join(dataDir, 'namespaces', 'default', 'data.mdb')
    const bytes = readFileSync(dataFile)
    for (const metaPage of [0, 4096]) bytes.writeBigUInt64LE(BigInt(bytes.length / 4096 + 50), metaPage + 144)
    writeFileSync(dataFile, bytes)
    expectOutput(await kv(['get', 'k']), 'v')
  })
})

describe('the data dir belongs to kv', () => {
  it('a package.json in KV_DATA_DIR is neither read nor run (oclif must not treat it as its plugin dir)', async () => {
    const {kv, dataDir} = kvSandbox()
    // An oclif "linked plugin" whose init hook leaves a marker: it must never run.
    const plugin = join(dataDir, 'intruder')
    mkdirSync(plugin)
    writeFileSync(
      join(plugin, 'package.json'),
      JSON.stringify({name: 'intruder', version: '1.0.0', type: 'module', oclif: {hooks: {init: './hook.js'}}}),
    )
    writeFileSync(
      join(plugin, 'hook.js'),
      `import {writeFileSync} from 'node:fs'\nexport default async function () { writeFileSync(${JSON.stringify(join(dataDir, 'MARKER'))}, 'ran') }\n`,
    )
    writeFileSync(join(dataDir, 'package.json'), JSON.stringify({oclif: {plugins: [{type: 'link', name: 'intruder', root: plugin}]}}))
    const get = await kv(['get', 'k'])
    expect(existsSync(join(dataDir, 'MARKER'))).toBe(false)
    expectFailure(get, 1)

    writeFileSync(join(dataDir, 'package.json'), '{ not json')
    expectFailure(await kv(['get', 'k']), 1)
  })
})
