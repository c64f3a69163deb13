import {chmodSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {tempDir} from '../helpers.js'
import {expectFailure, modeOf, sh, tree} from './cli-assert.js'

/** Every directory under `root` (itself included) must be 0700 and every file 0600. */
function expectPrivate(root: string) {
  const modes: Record<string, string> = {}
  const expected: Record<string, string> = {}
  for (const path of ['', ...tree(root)]) {
    const full = join(root, path)
    const isDir = statSync(full).isDirectory()
    modes[path || '.'] = modeOf(full).toString(8)
    expected[path || '.'] = isDir ? '700' : '600'
  }
  expect(modes).toEqual(expected)
}

describe('data dir permissions', () => {
  it('directories are 0700 and files 0600 even with umask 000 (put creating the default namespace, ns create)', async () => {
    const parent = tempDir()
    const dataDir = join(parent, 'fresh', 'data') // does not exist yet: kv creates it
    const configDir = tempDir()
    const result = await sh(
      'umask 000 && kv put k v && kv put -n default k2 v2 --expires-in 1h && kv ns create other && kv put -n other k v && kv get k',
      {KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: configDir},
    )
    expect({code: result.code, stdout: result.text}).toEqual({code: 0, stdout: 'v'})
    expect(result.stderr).toBe('kv: created namespace "other"\n')
    expect(tree(join(dataDir, 'namespaces')).sort()).toEqual(
      ['default/', 'default/data.mdb', 'default/lock.mdb', 'other/', 'other/data.mdb', 'other/lock.mdb'].sort(),
    )
    expectPrivate(join(dataDir, 'namespaces'))
    // Whatever kv created above the namespaces is private too.
    expect(modeOf(dataDir).toString(8)).toBe('700')
    expect(readdirSync(dataDir)).toEqual(['namespaces'])
  })
})

describe('settings file permissions', () => {
  it('kv ns use and kv store use make the settings folder 0700 and the file 0600, even with umask 000', async () => {
    const configDir = join(tempDir(), 'config') // does not exist yet: kv creates it
    const result = await sh('umask 000 && kv ns use default && kv store use local', {KV_DATA_DIR: tempDir(), XDG_CONFIG_HOME: configDir})
    expect(result.code, result.stderr).toBe(0)
    expect(modeOf(join(configDir, 'kv')).toString(8)).toBe('700')
    expect(modeOf(join(configDir, 'kv', 'config.json')).toString(8)).toBe('600')
  })

  it('settings that other users can change are refused with one line saying how to fix them, exit 2', async () => {
    const configDir = tempDir()
    const env = {KV_DATA_DIR: tempDir(), XDG_CONFIG_HOME: configDir}
    const folder = join(configDir, 'kv')
    const file = join(folder, 'config.json')
    expect((await sh('kv ns use default', env)).code).toBe(0)
    chmodSync(file, 0o666)
    for (const script of ['kv get k', 'kv store show', 'kv ns use default']) {
      const line = expectFailure(await sh(script, env), 2)
      expect(line).toBe(`kv: the settings file ${file} can be changed by other users (mode 0666), so kv does not trust it: make it yours alone (chmod 600 '${file}') or delete it`)
    }
    chmodSync(file, 0o600)
    chmodSync(folder, 0o777)
    expect(expectFailure(await sh('kv list', env), 2)).toBe(
      `kv: the settings folder ${folder} can be changed by other users (mode 0777), so kv does not trust it: make it yours alone (chmod 700 '${folder}') or delete it`,
    )
    // Commands that need no setting do not read the file.
    expect((await sh('kv list -n default --store local', env)).code).toBe(0)
    chmodSync(folder, 0o700)
    expect((await sh('kv list', env)).code).toBe(0)
  })
})
