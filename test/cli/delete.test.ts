import {describe, expect, it} from 'vitest'

import {namespaceExists} from '../../src/index.js'
import {kvSandbox} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

async function seed(kv: ReturnType<typeof kvSandbox>['kv'], keys: string[]) {
  expectQuietSuccess(await kv(['put', '--', keys[0], 'v']))
  for (const result of await Promise.all(keys.slice(1).map((key) => kv(['put', '--', key, 'v'])))) expectQuietSuccess(result)
}

describe('kv delete', () => {
  it('deletes several keys at once; missing keys are fine; prints nothing', async () => {
    const {kv} = kvSandbox()
    await seed(kv, ['a', 'b', 'c', 'd'])
    expectQuietSuccess(await kv(['delete', 'a', 'missing', 'c', 'also-missing']))
    expectOutput(await kv(['list']), 'b\nd\n')
    expectQuietSuccess(await kv(['delete', 'nothing-here']))
    expectFailure(await kv(['get', 'a']), 1)
  })

  it('--json counts the keys that existed: {"deleted":1} for one key and a missing one, then 0', async () => {
    const {kv} = kvSandbox()
    await seed(kv, ['a', 'b'])
    expectOutput(await kv(['delete', 'a', 'missing', '--json']), '{"deleted":1}\n')
    expectOutput(await kv(['delete', 'a', 'missing', '--json']), '{"deleted":0}\n')
    expectOutput(await kv(['list']), 'b\n')
  })

  it('deleting from a never-written default namespace exits 0 and does not create it', async () => {
    const {kv, location} = kvSandbox()
    expectQuietSuccess(await kv(['delete', 'x', 'y']))
    expect(await namespaceExists('default', location)).toBe(false)
  })

  it('with no key exits 2', async () => {
    const {kv} = kvSandbox()
    const [none, dashdash] = await Promise.all([kv(['delete']), kv(['delete', '--'])])
    expectFailure(none, 2)
    expectFailure(dashdash, 2)
  })

  it('with an unknown flag exits 2 and deletes nothing', async () => {
    const {kv} = kvSandbox()
    await seed(kv, ['a', 'b', '--bogus', '-x'])
    const results = await Promise.all([
      kv(['delete', '--bogus']),
      kv(['delete', 'a', '--bogus']),
      kv(['delete', '--bogus', 'a', 'b']),
      kv(['delete', 'a', '-x']),
    ])
    for (const result of results) expectFailure(result, 2)
    expectOutput(await kv(['list']), '--bogus\n-x\na\nb\n')
  })

  it('deletes a key that starts with a dash after --', async () => {
    const {kv} = kvSandbox()
    await seed(kv, ['-k', '--long', 'keep'])
    expectQuietSuccess(await kv(['delete', '--', '-k', '--long']))
    expectOutput(await kv(['list']), 'keep\n')
  })

  it('deletes 20,000 keys given as arguments, with flags among them and dash keys after --', async () => {
    const {kv} = kvSandbox()
    const keys = Array.from({length: 20_000}, (_, i) => (i % 1000 === 0 ? `-dash:${i}` : `key:${i}`))
    const records = [...keys, 'keep'].map((key) => JSON.stringify({key, value: 'v'})).join('\n')
    expect((await kv(['ns', 'create', 'big'])).code).toBe(0)
    expect((await kv(['import', '-', '-n', 'big'], {input: records})).code).toBe(0)
    const plain = keys.filter((key) => !key.startsWith('-'))
    const dashed = keys.filter((key) => key.startsWith('-'))
    const half = plain.length / 2
    const argv = ['delete', ...plain.slice(0, half), '-n', 'big', ...plain.slice(half), 'missing', '--json', '--', ...dashed]
    expectOutput(await kv(argv), '{"deleted":20000}\n')
    expectOutput(await kv(['list', '-n', 'big']), 'keep\n')
  })

  it('rejects an invalid key (too long) with exit 2 and deletes none of the others', async () => {
    const {kv} = kvSandbox()
    await seed(kv, ['a', 'b'])
    const line = expectFailure(await kv(['delete', 'a', 'x'.repeat(513), 'b']), 2)
    expect(line).toContain('512')
    expectOutput(await kv(['list']), 'a\nb\n')
  })
})
