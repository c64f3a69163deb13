import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {tempDir} from '../helpers.js'
import {modeOf, sh, tree} from './cli-assert.js'

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
