import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {namespaceExists, openNamespace} from '../../src/index.js'
import {describeLocation, storeKey} from '../../src/cli/namespace.js'
import {kvSandbox} from '../helpers.js'
import {TEST_STORE} from '../store-under-test.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'

type Kv = ReturnType<typeof kvSandbox>['kv']

/** A sandbox's location as a command sees it (the store it runs on, local or the run's Redis). */
function commandLocation(location: ReturnType<typeof kvSandbox>['location']) {
  return {store: typeof location.store === 'string' ? location.store : 'local', dataDir: location.dataDir}
}

async function put(kv: Kv, pairs: [string, string][], extra: string[] = []) {
  for (const [key, value] of pairs) expectQuietSuccess(await kv(['put', ...extra, '--', key, value]))
}

describe('kv incr', () => {
  it('counts from 0, prints each new value, takes --by N, --by -N and --by=-N', async () => {
    const {kv} = kvSandbox()
    expectOutput(await kv(['incr', 'n']), '1\n')
    expectOutput(await kv(['incr', 'n', '--by', '10']), '11\n')
    expectOutput(await kv(['incr', 'n', '--by', '-5']), '6\n')
    expectOutput(await kv(['incr', 'n', '--by=-8']), '-2\n')
    expectOutput(await kv(['incr', '--by', '+3', 'n']), '1\n')
    expectOutput(await kv(['get', 'n']), '1')
  })

  it('--json prints {key, value} with a number', async () => {
    const {kv} = kvSandbox()
    const result = await kv(['incr', 'hits', '--by', '41', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.text)).toEqual({key: 'hits', value: 41})
  })

  it('a non-integer value exits 2 and leaves the value unchanged', async () => {
    const {kv} = kvSandbox()
    await put(kv, [['name', 'alice']])
    expect(expectFailure(await kv(['incr', 'name']), 2)).toContain('not an integer')
    expectOutput(await kv(['get', 'name']), 'alice')
  })

  it('a non-integer --by exits 2 and writes nothing', async () => {
    const {kv} = kvSandbox()
    await put(kv, [['n', '5']])
    for (const by of ['1.5', 'abc', '', '9007199254740992', '1e3']) {
      expect(expectFailure(await kv(['incr', 'n', '--by', by]), 2)).toContain('--by')
    }
    expectFailure(await kv(['incr', 'other', '--by', 'x']), 2)
    expectOutput(await kv(['get', 'n']), '5')
    expectFailure(await kv(['get', 'other']), 1)
  })

  it('leaving the safe integer range exits 2 and keeps the value', async () => {
    const {kv} = kvSandbox()
    await put(kv, [['max', '9007199254740991']])
    expectFailure(await kv(['incr', 'max']), 2)
    expectOutput(await kv(['get', 'max']), '9007199254740991')
  })

  it('--expires-in is set when the counter is created and not extended by later hits', async () => {
    const {kv} = kvSandbox()
    expectOutput(await kv(['incr', 'rate', '--expires-in', '1h']), '1\n')
    const first = JSON.parse((await kv(['get', 'rate', '--json'])).text).expiresAt as number
    expect(first).toBeGreaterThan(Date.now() + 3_500_000)
    expectOutput(await kv(['incr', 'rate', '--expires-in', '2h']), '2\n')
    expectOutput(await kv(['incr', 'rate']), '3\n')
    expect(JSON.parse((await kv(['get', 'rate', '--json'])).text).expiresAt).toBe(first)
    expectFailure(await kv(['incr', 'x', '--expires-in', 'soon']), 2)
  })

  it('in a namespace that does not exist exits 1', async () => {
    const {kv} = kvSandbox()
    expectFailure(await kv(['incr', '-n', 'missing', 'k']), 1)
  })

  it('6 processes × 10 increments in parallel give exactly 60', async () => {
    const {kv, env} = kvSandbox()
    expectOutput(await kv(['incr', 'n', '--by', '0']), '0\n')
    const loops = await Promise.all(
      Array.from({length: 6}, () => sh('i=0; while [ $i -lt 10 ]; do kv incr n >> /dev/null || exit 1; i=$((i + 1)); done', env)),
    )
    for (const result of loops) expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expectOutput(await kv(['get', 'n']), '60')
  })
})

describe('kv delete --prefix', () => {
  const seeded = async () => {
    const sandbox = kvSandbox()
    await put(sandbox.kv, [['user:1', 'a'], ['user:2', 'b'], ['user:3', 'c'], ['user', 'd'], ['admin', 'e']])
    return sandbox
  }

  it('with --yes deletes every key with the prefix and says how many on stderr', async () => {
    const {kv} = await seeded()
    const result = await kv(['delete', '--prefix', 'user:', '--yes'])
    // put() wrote the five keys one revision each; the delete is the sixth.
    expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({
      code: 0,
      stdout: '',
      stderr: 'kv: deleted 3 keys at revision 6; undo: kv revert --to 5 --prefix user:\n',
    })
    expectOutput(await kv(['list']), 'admin\nuser\n')
  })

  it('--json prints {"deleted": n} on stdout', async () => {
    const {kv} = await seeded()
    const result = await kv(['delete', '--prefix', 'user', '-y', '--json'])
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expect(JSON.parse(result.text)).toEqual({deleted: 4})
    const none = await kv(['delete', '--prefix', 'nothing', '-y', '--json'])
    expect(JSON.parse(none.text)).toEqual({deleted: 0})
  })

  it('without a terminal and without --yes exits 2 and deletes nothing', async () => {
    const {kv} = await seeded()
    expect(expectFailure(await kv(['delete', '--prefix', 'user:']), 2)).toContain('--yes')
    expectFailure(await kv(['delete', '--prefix', 'user:', '--json']), 2, {json: true, code: 'USAGE'})
    expectOutput(await kv(['list']), 'admin\nuser\nuser:1\nuser:2\nuser:3\n')
  })

  it('an empty prefix needs --yes, then empties the namespace', async () => {
    const {kv} = await seeded()
    expect(expectFailure(await kv(['delete', '--prefix', '']), 2)).toContain('every key')
    expectFailure(await kv(['delete', '--prefix=']), 2)
    expectOutput(await kv(['list']), 'admin\nuser\nuser:1\nuser:2\nuser:3\n')
    const result = await kv(['delete', '--prefix', '', '--yes', '--json'])
    expect(JSON.parse(result.text)).toEqual({deleted: 5})
    expectOutput(await kv(['list']), '')
  })

  it('--prefix together with keys is a usage error (exit 2) and deletes nothing', async () => {
    const {kv} = await seeded()
    expectFailure(await kv(['delete', 'admin', '--prefix', 'user:', '--yes']), 2)
    expectFailure(await kv(['delete', '--prefix', 'user:', '--yes', 'admin']), 2)
    expectOutput(await kv(['list']), 'admin\nuser\nuser:1\nuser:2\nuser:3\n')
  })

  it('keys still work as before', async () => {
    const {kv} = await seeded()
    expectQuietSuccess(await kv(['delete', 'user:1', 'admin']))
    expectOutput(await kv(['list']), 'user\nuser:2\nuser:3\n')
  })

  it('in another namespace, and on a never-written default namespace', async () => {
    const {kv, location} = kvSandbox()
    expect((await kv(['ns', 'create', 'other'])).code).toBe(0)
    await put(kv, [['p:1', 'x'], ['q', 'y']], ['-n', 'other'])
    expect(JSON.parse((await kv(['delete', '-n', 'other', '--prefix', 'p:', '-y', '--json'])).text)).toEqual({deleted: 1})
    expectOutput(await kv(['list', '-n', 'other']), 'q\n')
    expect(JSON.parse((await kv(['delete', '--prefix', 'p:', '-y', '--json'])).text)).toEqual({deleted: 0})
    expect(await namespaceExists('default', location)).toBe(false)
  })
})

describe('kv ns list', () => {
  it('without a terminal prints the names one per line; --json gives numbers and the default', async () => {
    const {kv, location} = kvSandbox()
    expectOutput(await kv(['ns', 'list']), '')
    expect(JSON.parse((await kv(['ns', 'list', '--json'])).text)).toEqual([])
    for (const name of ['sessions', 'flags']) expect((await kv(['ns', 'create', name])).code).toBe(0)
    await put(kv, [['a', '1'], ['b', '2']], ['-n', 'sessions'])
    await put(kv, [['c', '3']], ['-n', 'sessions', '--expires-in', '1h'])
    // An expired key, written with a clock an hour in the past, is counted as expired, not as a key.
    const past = await openNamespace('sessions', {...location, clock: () => Date.now() - 3_600_000})
    await past.put('old', 'x', {expiresIn: 60})
    await past.close()
    await put(kv, [['x', '1']])

    expectOutput(await kv(['ns', 'list']), 'default\nflags\nsessions\n')
    const json = JSON.parse((await kv(['ns', 'list', '--json'])).text) as Record<string, unknown>[]
    expect(json.map((ns) => ns.name)).toEqual(['default', 'flags', 'sessions'])
    expect(json[2]).toMatchObject({name: 'sessions', keys: 3, expiring: 1, expired: 1, default: false})
    expect(json[0]).toMatchObject({name: 'default', keys: 1, expiring: 0, expired: 0, default: true})
    for (const ns of json) {
      expect(Object.keys(ns).sort()).toEqual(['bytesOnDisk', 'default', 'expired', 'expiring', 'history', 'keys', 'name', 'oldestRevision', 'reclaimable', 'revision'])
      // Documented per store: LMDB measures its files; a Redis server cannot say what one namespace takes.
      if (TEST_STORE === 'lmdb') expect(ns.bytesOnDisk as number).toBeGreaterThan(0)
      else expect(ns.bytesOnDisk).toBeNull()
    }
    expect((await kv(['ns', 'use', 'flags'])).code).toBe(0)
    const after = JSON.parse((await kv(['ns', 'list', '--json'])).text) as {name: string; default: boolean}[]
    expect(after.filter((ns) => ns.default).map((ns) => ns.name)).toEqual(['flags'])
  })
})

describe('kv ns delete', () => {
  it('without a terminal and without --yes exits 2 and deletes nothing', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'keep'])).code).toBe(0)
    await put(kv, [['k', 'v']], ['-n', 'keep'])
    expect(expectFailure(await kv(['ns', 'delete', 'keep']), 2)).toContain('--yes')
    expectOutput(await kv(['get', '-n', 'keep', 'k']), 'v')
  })

  it('with --yes deletes the namespace and its keys; a missing namespace exits 1', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'gone'])).code).toBe(0)
    await put(kv, [['a', '1'], ['b', '2']], ['-n', 'gone'])
    const result = await kv(['ns', 'delete', 'gone', '--yes'])
    expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({code: 0, stdout: '', stderr: 'kv: deleted namespace "gone" (2 keys)\n'})
    expectOutput(await kv(['ns', 'list']), '')
    expectFailure(await kv(['ns', 'delete', 'gone', '--yes']), 1)
    expectFailure(await kv(['ns', 'delete', 'gone']), 1)
    expectFailure(await kv(['ns', 'delete', 'Bad/Name', '--yes']), 2)
    expect((await kv(['ns', 'create', 'gone'])).code).toBe(0)
    expectOutput(await kv(['list', '-n', 'gone']), '')
  })

  it('while another process holds the namespace open: gone at once for everyone but that holder', async () => {
    const {kv, location} = kvSandbox()
    const holder = await openNamespace('busy', {...location, create: true})
    try {
      await holder.put('k', 'v')
      expect((await kv(['ns', 'delete', 'busy', '--yes'])).code).toBe(0)
      expectFailure(await kv(['get', '-n', 'busy', 'k']), 1)
      expectOutput(await kv(['ns', 'list']), '')
      // What the holder sees is documented per store (deleteNamespace): on LMDB it keeps working on a private
      // copy until it closes; on Redis the keys are gone with the namespace and its writes are refused.
      if (TEST_STORE === 'lmdb') {
        expect(await holder.get('k')).toBe('v')
        await holder.put('k2', 'v2')
      } else {
        expect(await holder.get('k')).toBeNull()
        await expect(holder.put('k2', 'v2')).rejects.toMatchObject({code: 'NAMESPACE_NOT_FOUND'})
      }
    } finally {
      await holder.close()
    }
    expectOutput(await kv(['ns', 'list']), '')
    expect((await kv(['ns', 'create', 'busy'])).code).toBe(0)
    expectOutput(await kv(['list', '-n', 'busy']), '')
  })

  it('--json reports what was deleted', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'x'])).code).toBe(0)
    const result = await kv(['ns', 'delete', 'x', '-y', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.text)).toEqual({name: 'x', deleted: true, keys: 0})
  })
})

describe('kv ns use', () => {
  it('stores the default with conf under XDG_CONFIG_HOME, for this store; -n and KV_NAMESPACE still win', async () => {
    const {kv, configDir, location} = kvSandbox()
    const key = storeKey(commandLocation(location))
    const described = describeLocation(commandLocation(location))
    for (const name of ['work', 'other']) expect((await kv(['ns', 'create', name])).code).toBe(0)
    await put(kv, [['where', 'work']], ['-n', 'work'])
    await put(kv, [['where', 'other']], ['-n', 'other'])
    await put(kv, [['where', 'default']])

    const result = await kv(['ns', 'use', 'work'])
    expect({code: result.code, stdout: result.text}).toEqual({code: 0, stdout: ''})
    expect(result.stderr).toContain('"work"')
    const file = join(configDir, 'kv', 'config.json')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({defaultNamespaces: {[key]: 'work'}})

    expectOutput(await kv(['get', 'where']), 'work')
    expectOutput(await kv(['get', '-n', 'other', 'where']), 'other')
    expectOutput(await kv(['get', 'where'], {env: {KV_NAMESPACE: 'other'}}), 'other')
    expectOutput(await kv(['get', '-n', 'default', 'where']), 'default')

    // conf keeps other settings in the file.
    writeFileSync(file, JSON.stringify({defaultNamespaces: {[key]: 'work', 'local:/elsewhere': 'other'}, somethingElse: 1}))
    expect(JSON.parse((await kv(['ns', 'use', 'default', '--json'])).text)).toEqual({defaultNamespace: 'default', store: described})
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({defaultNamespaces: {[key]: 'default', 'local:/elsewhere': 'other'}, somethingElse: 1})
    expectOutput(await kv(['get', 'where']), 'default')
  })

  it('a missing namespace exits 1 (worded as every command words it) and an invalid name exits 2, leaving the setting alone', async () => {
    const {kv, configDir, location} = kvSandbox()
    const where = describeLocation(commandLocation(location))
    expect((await kv(['ns', 'create', 'real'])).code).toBe(0)
    expect((await kv(['ns', 'use', 'real'])).code).toBe(0)
    const missing = 'kv: namespace "nope" does not exist in ' + where + ' (create it with: kv ns create nope)'
    expect(expectFailure(await kv(['ns', 'use', 'nope']), 1)).toBe(missing)
    expect(expectFailure(await kv(['get', 'k', '-n', 'nope']), 1)).toBe(missing)
    expectFailure(await kv(['ns', 'use', 'Not Valid']), 2)
    expect(JSON.parse(readFileSync(join(configDir, 'kv', 'config.json'), 'utf8'))).toEqual({defaultNamespaces: {[storeKey(commandLocation(location))]: 'real'}})
  })

  it('"default" may be chosen before it exists', async () => {
    const {kv, configDir} = kvSandbox()
    expect((await kv(['ns', 'use', 'default'])).code).toBe(0)
    expect(existsSync(join(configDir, 'kv', 'config.json'))).toBe(true)
  })
})

describe('kv ns clean without a terminal', () => {
  it('exits 2, points to kv delete --prefix, and deletes nothing', async () => {
    const {kv} = kvSandbox()
    await put(kv, [['a', '1']])
    expect(expectFailure(await kv(['ns', 'clean']), 2)).toContain('kv delete --prefix')
    expectFailure(await kv(['ns', 'clean', 'default']), 2)
    expectOutput(await kv(['list']), 'a\n')
  })
})

describe('kv store show', () => {
  it('prints the store on stdout and where the choice came from on stderr (--json: {store, source})', async () => {
    const {kv, configDir, dataDir} = kvSandbox({local: true})
    const local = `local (${dataDir})\n`
    // Neither KV_STORE nor a saved store: the default.
    const unset = {KV_STORE: undefined}
    const shown = async (args: string[], env: Record<string, string | undefined>) => {
      const result = await kv(['store', 'show', ...args], {env})
      expect(result.code, result.stderr).toBe(0)
      return {stdout: result.text, stderr: result.stderr}
    }
    expect(await shown([], unset)).toEqual({stdout: local, stderr: 'kv: the default: no --store, KV_STORE or kv store use\n'})
    expect(await shown(['--store', 'local'], unset)).toEqual({stdout: local, stderr: 'kv: chosen with --store\n'})
    expect(await shown([], {KV_STORE: 'local'})).toEqual({stdout: local, stderr: 'kv: chosen with the KV_STORE environment variable\n'})
    const file = join(configDir, 'kv', 'config.json')
    mkdirSync(join(configDir, 'kv'), {recursive: true})
    writeFileSync(file, JSON.stringify({store: 'redis://kv:secret@10.0.0.5:6380/2'}))
    expect(await shown([], unset)).toEqual({stdout: 'redis://kv:***@10.0.0.5:6380/2\n', stderr: `kv: chosen with kv store use (saved in ${file})\n`})
    const json = await kv(['store', 'show', '--json'], {env: unset})
    expect({code: json.code, stdout: JSON.parse(json.text), stderr: json.stderr}).toEqual({code: 0, stdout: {store: 'redis://kv:***@10.0.0.5:6380/2', source: 'settings'}, stderr: ''})
  })
})
