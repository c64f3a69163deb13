import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'

async function seeded() {
  const sandbox = kvSandbox()
  const records = ['a', 'b c', 'd/e', '-dash', 'keep'].map((key) => JSON.stringify({key, value: 'v'})).join('\n')
  expect((await sandbox.kv(['import', '-'], {input: records})).code).toBe(0)
  return sandbox
}

describe('kv delete --from', () => {
  const shapes: Array<[string, string]> = [
    ['one key per line', 'a\nb c\r\n\nd/e\n-dash\nmissing\n'],
    ['a JSON array of strings', '["a", "b c", "d/e", "-dash", "missing"]'],
    ['a JSON array of {name} objects (wrangler kv key list)', '[{"name": "a"}, {"name": "b c", "expiration": 1}, {"name": "d/e"}, {"name": "-dash"}]'],
    ['the object kv list --json prints', '{"keys": [{"name": "a", "expiresAt": null}, {"name": "b c", "expiresAt": null}, {"name": "d/e", "expiresAt": null}, {"name": "-dash", "expiresAt": null}], "cursor": null, "complete": true}'],
  ]
  for (const [shape, text] of shapes) {
    it(`reads ${shape}, from a file and from stdin`, async () => {
      const {kv} = await seeded()
      const file = join(tempDir(), 'keys')
      writeFileSync(file, text)
      expectQuietSuccess(await kv(['delete', '--from', file]))
      expectOutput(await kv(['list']), 'keep\n')
      const again = await seeded()
      expectQuietSuccess(await again.kv(['delete', '--from', '-'], {input: text}))
      expectOutput(await again.kv(['list']), 'keep\n')
    })
  }

  it('kv list --json | kv delete --from - empties a prefix', async () => {
    const {kv, env} = await seeded()
    const result = await sh('kv list --json --prefix d | kv delete --from - && kv list', env)
    expectOutput(result, '-dash\na\nb c\nkeep\n')
  })

  it('a bad list deletes nothing: invalid key, broken JSON, missing file; --from with KEY arguments is a usage error', async () => {
    const {kv} = await seeded()
    expect(expectFailure(await kv(['delete', '--from', '-'], {input: `a\n${'k'.repeat(600)}\n`}), 2)).toMatch(/600 bytes; the limit is 512/)
    expect(expectFailure(await kv(['delete', '--from', '-'], {input: '["a", '}), 2)).toMatch(/not valid JSON/)
    expect(expectFailure(await kv(['delete', '--from', join(tempDir(), 'nope')]), 2)).toMatch(/no such file/)
    expect(expectFailure(await kv(['delete', '--from', '-', 'a'], {input: 'b\n'}), 2)).toMatch(/either as arguments or with --from/)
    expectOutput(await kv(['list']), '-dash\na\nb c\nd/e\nkeep\n')
  })
})
