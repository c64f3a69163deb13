import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {deleteNamespace, listNamespaces, namespaceExists} from '../../src/index.js'
import {kvSandbox, tempDir} from '../helpers.js'
import {freshLocation, TEST_STORE} from '../store-under-test.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

const INVALID_NAMES = ['..', 'a/b', '.x', '', 'UPPER', 'x'.repeat(65), 'a\\b', '/abs', '-x', 'é', '../escape']

function writeConfig(configDir: string, config: unknown) {
  mkdirSync(join(configDir, 'kv'), {recursive: true})
  writeFileSync(join(configDir, 'kv', 'config.json'), JSON.stringify(config))
}

describe('kv ns create', () => {
  it('creates a namespace isolated from the default one', async () => {
    const {kv, location} = kvSandbox()
    const created = await kv(['ns', 'create', 'sessions'])
    expect({code: created.code, stdout: created.text}).toEqual({code: 0, stdout: ''})
    expect(await listNamespaces(location)).toEqual(['sessions'])

    const [inNs, inDefault] = await Promise.all([
      kv(['put', '-n', 'sessions', 'k', 'in sessions']),
      kv(['put', 'k', 'in default']),
    ])
    expectQuietSuccess(inNs)
    expectQuietSuccess(inDefault)
    expectQuietSuccess(await kv(['put', '--namespace', 'sessions', 'only-there', 'x']))

    const results = await Promise.all([
      kv(['get', '-n', 'sessions', 'k']),
      kv(['get', 'k']),
      kv(['list', '-n', 'sessions']),
      kv(['list']),
      kv(['get', 'only-there']),
    ])
    expectOutput(results[0], 'in sessions')
    expectOutput(results[1], 'in default')
    expectOutput(results[2], 'k\nonly-there\n')
    expectOutput(results[3], 'k\n')
    expectFailure(results[4], 1)

    expectQuietSuccess(await kv(['delete', '-n', 'sessions', 'k']))
    expectOutput(await kv(['get', 'k']), 'in default')
  })

  it('accepts a 64-character name and the allowed punctuation', async () => {
    const {kv} = kvSandbox()
    const names = ['x'.repeat(64), 'a.b_c-d', '0abc']
    for (const result of await Promise.all(names.map((name) => kv(['ns', 'create', name])))) {
      expect({code: result.code, stdout: result.text}).toEqual({code: 0, stdout: ''})
    }
    expectQuietSuccess(await kv(['put', '-n', 'x'.repeat(64), 'k', 'v']))
    expectOutput(await kv(['get', '-n', 'x'.repeat(64), 'k']), 'v')
  })

  it('fails with exit 3 when the namespace exists, keeping its data', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'flags'])).code).toBe(0)
    expectQuietSuccess(await kv(['put', '-n', 'flags', 'beta', 'on']))
    const [again, json] = await Promise.all([kv(['ns', 'create', 'flags']), kv(['ns', 'create', 'flags', '--json'])])
    expect(expectFailure(again, 3)).toContain('flags')
    expectFailure(json, 3, {json: true, code: 'NAMESPACE_EXISTS'})
    expectOutput(await kv(['get', '-n', 'flags', 'beta']), 'on')
  })

  it('the default namespace can be created explicitly once, then conflicts (exit 3) also after a put', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    expectFailure(await kv(['ns', 'create', 'default']), 3)
  })

  it('rejects invalid names with exit 2 and creates or changes nothing', async () => {
    const {kv, location} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const results = await Promise.all([
      ...INVALID_NAMES.map((name) => kv(['ns', 'create', name])),
      ...['..', 'a/b', '/abs', '../escape', 'UPPER'].map((name) => kv(['put', '-n', name, 'k', 'v'])),
      kv(['get', '-n', '..', 'k']),
      kv(['list', '--namespace=..']),
      kv(['delete', '-n', '..', 'k']),
      kv(['put', 'k2', 'v'], {env: {KV_NAMESPACE: 'a/b'}}),
    ])
    for (const [i, result] of results.entries()) {
      const what = i < INVALID_NAMES.length ? `ns create ${JSON.stringify(INVALID_NAMES[i])}` : `#${i}`
      expect(result.code, `namespace ${what}`).toBe(2)
      expectFailure(result, 2)
    }
    const json = await kv(['ns', 'create', '..', '--json'])
    expectFailure(json, 2, {json: true, code: 'NAMESPACE_NAME_INVALID'})
    expect(await listNamespaces(location)).toEqual(['default'])
    expectOutput(await kv(['list']), 'k\n')
  })
})

describe('commands on a namespace that does not exist', () => {
  it('exit 1 and do not create it (nothing else changes)', async () => {
    const {kv, location} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const results = await Promise.all([
      kv(['put', '-n', 'ghost', 'k', 'v']),
      kv(['put', '-n', 'ghost', 'k'], {input: 'from stdin'}),
      kv(['get', '-n', 'ghost', 'k']),
      kv(['list', '-n', 'ghost']),
      kv(['delete', '-n', 'ghost', 'k']),
      kv(['put', 'k', 'v'], {env: {KV_NAMESPACE: 'ghost'}}),
    ])
    for (const result of results) expect(expectFailure(result, 1)).toContain('ghost')
    const json = await Promise.all([kv(['get', '-n', 'ghost', 'k', '--json']), kv(['list', '-n', 'ghost', '--json'])])
    for (const result of json) expectFailure(result, 1, {json: true, code: 'NAMESPACE_NOT_FOUND'})
    expect(await listNamespaces(location)).toEqual(['default'])
    expectOutput(await kv(['export']), '{"key":"k","value":"v"}\n')
  })
})

describe('the default namespace', () => {
  it('is created by the first put only, not by get, list or delete', async () => {
    const {kv, location} = kvSandbox()
    const reads = await Promise.all([kv(['get', 'x']), kv(['get', 'x', '--json']), kv(['list']), kv(['delete', 'x'])])
    expectFailure(reads[0], 1)
    expectFailure(reads[1], 1, {json: true, code: 'KEY_NOT_FOUND'})
    expectOutput(reads[2], '')
    expectQuietSuccess(reads[3])
    expect(await namespaceExists('default', location)).toBe(false)
    expect(await listNamespaces(location)).toEqual([])
    expectOutput(await kv(['ns', 'list']), '')

    expectQuietSuccess(await kv(['put', 'x', '1']))
    expect(await namespaceExists('default', location)).toBe(true)
    expectOutput(await kv(['ns', 'list']), 'default\n')
  })

  it('can be named explicitly with -n default', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', '-n', 'default', 'k', 'v']))
    expectOutput(await kv(['get', 'k']), 'v')
  })
})

describe('choosing the namespace and the place', () => {
  it('KV_NAMESPACE selects the namespace, and -n wins over it', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'envns'])).code).toBe(0)
    expect((await kv(['ns', 'create', 'flagns'])).code).toBe(0)
    const env = {KV_NAMESPACE: 'envns'}
    expectQuietSuccess(await kv(['put', 'k', 'from env'], {env}))
    expectQuietSuccess(await kv(['put', '-n', 'flagns', 'k', 'from flag'], {env}))
    const results = await Promise.all([
      kv(['get', '-n', 'envns', 'k']),
      kv(['get', 'k'], {env}),
      kv(['get', '-n', 'flagns', 'k']),
      kv(['get', 'k']),
      kv(['list'], {env}),
    ])
    expectOutput(results[0], 'from env')
    expectOutput(results[1], 'from env')
    expectOutput(results[2], 'from flag')
    expectFailure(results[3], 1)
    expectOutput(results[4], 'k\n')
  })

  it('a place named on the command line wins over the one in the environment', async () => {
    const {kv, location} = kvSandbox()
    const other = freshLocation()
    // Places are named per store: a data dir for local files, a URL (here with a prefix of its own) for Redis.
    const elsewhere = TEST_STORE === 'lmdb' ? ['--data-dir', other.dataDir] : ['--store', other.store as string]
    expectQuietSuccess(await kv(['put', 'k', 'elsewhere', ...elsewhere]))
    expect(await listNamespaces(other)).toEqual(['default'])
    expect(await listNamespaces(location)).toEqual([])
    const [viaFlag, viaEnv] = await Promise.all([kv(['get', 'k', ...elsewhere]), kv(['get', 'k'])])
    expectOutput(viaFlag, 'elsewhere')
    expectFailure(viaEnv, 1)
  })

  it('uses the namespace kv ns use saved when -n is absent; -n and KV_NAMESPACE win', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'configured'])).code).toBe(0)
    expect((await kv(['ns', 'create', 'envns'])).code).toBe(0)
    expect((await kv(['ns', 'use', 'configured'])).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'k', 'to configured']))
    expectQuietSuccess(await kv(['put', '-n', 'default', 'k', 'to default']))
    expectQuietSuccess(await kv(['put', 'k', 'to env'], {env: {KV_NAMESPACE: 'envns'}}))
    const results = await Promise.all([
      kv(['get', 'k']),
      kv(['get', '-n', 'configured', 'k']),
      kv(['get', '-n', 'default', 'k']),
      kv(['get', '-n', 'envns', 'k']),
      kv(['list']),
    ])
    expectOutput(results[0], 'to configured')
    expectOutput(results[1], 'to configured')
    expectOutput(results[2], 'to default')
    expectOutput(results[3], 'to env')
    expectOutput(results[4], 'k\n')
  })

  it('the saved default belongs to one store: another store or data dir keeps its own (in both directions)', async () => {
    const {kv} = kvSandbox()
    // The store under test (local, or the run's Redis) and a second data dir of local files.
    const local = ['--store', 'local', '--data-dir', tempDir('kv-other-')]
    for (const where of [[], local]) {
      expect((await kv(['ns', 'create', 'flags', ...where])).code).toBe(0)
      expectQuietSuccess(await kv(['put', 'beta', `default of ${where.length ? 'local' : 'sandbox'}`, ...where]))
    }
    expect((await kv(['ns', 'use', 'flags'])).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'beta', 'on']))
    expectOutput(await kv(['get', 'beta', '-n', 'flags']), 'on')
    // The case: a default saved for one store followed every other one.
    expectOutput(await kv(['get', 'beta', ...local]), 'default of local')
    expectOutput(await kv(['get', 'beta']), 'on')

    expect((await kv(['ns', 'use', 'flags', ...local])).code).toBe(0)
    expect((await kv(['ns', 'use', 'default'])).code).toBe(0)
    expectOutput(await kv(['get', 'beta']), 'default of sandbox')
    expectQuietSuccess(await kv(['put', 'beta', 'local flags', ...local]))
    expectOutput(await kv(['get', 'beta', '-n', 'flags', ...local]), 'local flags')
    const listed = JSON.parse((await kv(['ns', 'list', '--json', ...local])).text) as {name: string; default: boolean}[]
    expect(listed.filter((ns) => ns.default).map((ns) => ns.name)).toEqual(['flags'])
  })

  it('a saved default that no longer exists exits 1, naming the settings file and the store searched; nothing is created', async () => {
    const {kv, configDir, location} = kvSandbox()
    expect((await kv(['ns', 'create', 'gone'])).code).toBe(0)
    expect((await kv(['ns', 'use', 'gone'])).code).toBe(0)
    await deleteNamespace('gone', location)
    const [put, get] = await Promise.all([kv(['put', 'k', 'v']), kv(['get', 'k'])])
    // As messages show a store: its password hidden.
    const where = typeof location.store === 'string' ? location.store.replace(/:[^:@/]+@/, ':***@') : `local (${location.dataDir})`
    const line = expectFailure(put, 1)
    expect(line).toContain(`namespace "gone" does not exist in ${where}; `)
    expect(line).toContain(`saved in ${join(configDir, 'kv', 'config.json')} by kv ns use`)
    expect(expectFailure(get, 1)).toBe(line)
    expect(await listNamespaces(location)).toEqual([])
  })

  it('a default saved by an older kv (one defaultNamespace for every store) still counts for local stores only', async () => {
    const {kv, configDir} = kvSandbox()
    writeConfig(configDir, {defaultNamespace: 'configured'})
    const local = ['--store', 'local', '--data-dir', tempDir('kv-local-')]
    expect((await kv(['ns', 'create', 'configured', ...local])).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'k', 'in configured', ...local]))
    expectOutput(await kv(['get', 'k', '-n', 'configured', ...local]), 'in configured')
    expectOutput(await kv(['get', 'k', ...local]), 'in configured')
    if (TEST_STORE !== 'lmdb') {
      // A Redis store ignores it: "default" there, which does not exist yet (exit 1, key not found).
      expect(expectFailure(await kv(['get', 'k']), 1)).toBe('kv: key "k" not found in namespace "default"')
    }
  })

  it('an unreadable config file is an error (exit 2), with one line', async () => {
    const {kv, configDir} = kvSandbox()
    mkdirSync(join(configDir, 'kv'), {recursive: true})
    writeFileSync(join(configDir, 'kv', 'config.json'), '{not json')
    const [plain, json] = await Promise.all([kv(['get', 'k']), kv(['list', '--json'])])
    expectFailure(plain, 2)
    expectFailure(json, 2, {json: true, code: 'CONFIG_INVALID'})
  })
})
