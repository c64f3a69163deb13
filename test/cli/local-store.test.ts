/**
 * CLI tests about the local store's files themselves: the data dir and what is in it (namespace
 * directories, data.mdb, a package.json oclif must not read), which only LMDB has. vitest.config.ts runs
 * this file in the lmdb project only, and its sandboxes are local whatever the store under test. Everything
 * kv does that does not depend on files is tested on every store in the other files of test/cli/.
 */
import {existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess, tree} from './cli-assert.js'

describe('damaged or unusable data dirs: exit 4, one line, no crash', () => {
  it('a data dir that is a regular file (via --data-dir)', async () => {
    const {kv} = kvSandbox({local: true})
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
    const {kv} = kvSandbox({local: true})
    const put = await kv(['put', 'k', 'v'], {env: {KV_DATA_DIR: file}})
    expectFailure(put, 4)
  })

  it('a namespace whose data file is not an LMDB file fails with exit 4 and one line, instead of crashing', async () => {
    const {kv, dataDir} = kvSandbox({local: true})
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    writeFileSync(join(dataDir, 'namespaces', 'default', 'data.mdb'), 'this is not an LMDB file\n')
    const [get, put, list] = await Promise.all([kv(['get', 'k']), kv(['put', 'k', 'v2']), kv(['list', '--json'])])
    expectFailure(get, 4)
    expectFailure(put, 4)
    expectFailure(list, 4, {json: true, code: 'STORAGE_FAILURE'})
  })

  it('a truncated data file fails with exit 4 and one line, instead of crashing with SIGBUS', async () => {
    const {kv, dataDir} = kvSandbox({local: true})
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
    const {kv, dataDir} = kvSandbox({local: true})
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
    const {kv, dataDir} = kvSandbox({local: true})
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

describe('namespaces are directories of the data dir', () => {
  it('ns create and the first put make one directory each; reads, deletes and ns list make none', async () => {
    const {kv, dataDir} = kvSandbox({local: true})
    const reads = await Promise.all([kv(['get', 'x']), kv(['list']), kv(['delete', 'x']), kv(['delete', '--prefix', 'x', '-y']), kv(['ns', 'list'])])
    expect(reads.map((result) => result.code)).toEqual([1, 0, 0, 0, 0])
    expect(tree(dataDir)).toEqual([])
    expect((await kv(['ns', 'create', 'sessions'])).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    expect(tree(join(dataDir, 'namespaces')).filter((path) => path.endsWith('/'))).toEqual(['default/', 'sessions/'])
  })

  it('invalid names never reach the file system: nothing is created inside or outside the data dir', async () => {
    const parent = tempDir()
    const dataDir = join(parent, 'data')
    const {kv} = kvSandbox({local: true})
    const env = {KV_DATA_DIR: dataDir}
    expectQuietSuccess(await kv(['put', 'k', 'v'], {env}))
    const before = tree(parent)
    const names = ['..', '../escape', '../../escape', 'a/b', '/abs', '.x', 'a\\b']
    const results = await Promise.all([
      ...names.map((name) => kv(['ns', 'create', name], {env})),
      ...names.map((name) => kv(['put', '-n', name, 'k', 'v'], {env})),
      kv(['get', '-n', '..', 'k'], {env}),
      kv(['delete', '-n', '../escape', 'k'], {env}),
    ])
    for (const result of results) expectFailure(result, 2)
    expect(tree(parent)).toEqual(before)
    expect(existsSync('/abs')).toBe(false)
  })

  it('--data-dir overrides KV_DATA_DIR', async () => {
    const {kv, dataDir} = kvSandbox({local: true})
    const other = tempDir('kv-other-')
    expectQuietSuccess(await kv(['put', 'k', 'elsewhere', '--data-dir', other]))
    expect(existsSync(join(other, 'namespaces', 'default'))).toBe(true)
    expect(tree(dataDir)).toEqual([])
    const [viaFlag, viaEnv] = await Promise.all([kv(['get', 'k', '--data-dir', other]), kv(['get', 'k'])])
    expectOutput(viaFlag, 'elsewhere')
    expectFailure(viaEnv, 1)
  })
})
