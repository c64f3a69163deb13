import {spawn} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {childEnv, KV_BIN, kvSandbox} from '../helpers.js'
import {TEST_STORE} from '../store-under-test.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'

describe('kv export', () => {
  it('writes NDJSON records in byte order; --prefix; --format json is an array', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'b', 'two']))
    expectQuietSuccess(await kv(['put', 'a', 'one']))
    expectQuietSuccess(await kv(['put', 'bin'], {input: new Uint8Array([0xff, 0x00])}))
    expectOutput(await kv(['export']), '{"key":"a","value":"one"}\n{"key":"b","value":"two"}\n{"key":"bin","value":"/wA=","base64":true}\n')
    expectOutput(await kv(['export', '--prefix', 'b']), '{"key":"b","value":"two"}\n{"key":"bin","value":"/wA=","base64":true}\n')
    const json = await kv(['export', '--format', 'json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.text)).toEqual([
      {key: 'a', value: 'one'},
      {key: 'b', value: 'two'},
      {key: 'bin', value: '/wA=', base64: true},
    ])
    expectOutput(await kv(['export', '--format', 'json', '--prefix', 'none']), '[]\n')
  })

  it('an empty or never-written namespace exports nothing; a missing namespace exits 1', async () => {
    const {kv} = kvSandbox()
    expectOutput(await kv(['export']), '')
    expectFailure(await kv(['export', '-n', 'nope']), 1)
  })

  it('round trip: kv export | kv import - -n other reproduces keys, bytes and expirations exactly', async () => {
    const {kv, env} = kvSandbox()
    const keys: Array<[string, Uint8Array, string[]]> = [
      ['empty', new Uint8Array(0), []],
      ['binary', new Uint8Array(256).map((_, i) => 255 - i), []],
      ['ünïcødé 🔑', Buffer.from('välue ✓\n"quoted"\t', 'utf8'), []],
      ['with spaces/and/slashes', Buffer.from('x'), ['--expires-in', '7d']],
      ['fractional ttl', Buffer.from('y'), ['--expires-in', '90.5']],
      ['permanent', Buffer.from('forever'), []],
    ]
    for (const [key, value, flags] of keys) expectQuietSuccess(await kv(['put', ...flags, '--', key], {input: value}))
    expect((await kv(['ns', 'create', 'other'])).code).toBe(0)

    const pipe = await sh('kv export | kv import - -n other', env)
    expect(pipe.code).toBe(0)
    // One revision on LMDB; on Redis one per chunk applied.
    expect(pipe.stderr).toMatch(new RegExp(`^kv: imported ${keys.length} records into other at revisions? 1(-\\d+)?\n$`))

    const listed = async (ns: string) => JSON.parse((await kv(['list', '--json', '-n', ns])).text) as {keys: Array<{name: string; expiresAt: number | null}>}
    const [source, copy] = await Promise.all([listed('default'), listed('other')])
    // The same keys and entries; revisions are each namespace's own.
    const withoutRevisions = (page: {keys: object[]}) => ({...page, keys: page.keys.map(({revision: _, ...key}: {revision?: number}) => key)})
    expect(withoutRevisions(copy)).toEqual(withoutRevisions(source))
    expect(source.keys.filter((k) => k.expiresAt !== null).map((k) => k.name).sort()).toEqual(['fractional ttl', 'with spaces/and/slashes'])
    for (const [key, value] of keys) expectOutput(await kv(['get', '-n', 'other', '--', key]), value)
    // And the exports of both are byte-identical.
    expectOutput(await kv(['export', '-n', 'other']), (await kv(['export'])).stdout)
  })

  it('writes made while an export runs: not in it on LMDB (one snapshot); on Redis, in the pages read after them', async () => {
    const {kv, env, location} = kvSandbox()
    const records = Array.from({length: 20_000}, (_, i) => JSON.stringify({key: `k${String(i).padStart(5, '0')}`, value: 'v'.repeat(100)})).join('\n')
    expect((await kv(['import', '-'], {input: records})).code).toBe(0)

    // A reader that stops after the first bytes: kv export blocks on the full pipe, a few pages in.
    const child = spawn(process.execPath, [KV_BIN, 'export'], {env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
    const chunks: Buffer[] = []
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    await new Promise<void>((resolve) => {
      child.stdout.once('data', (chunk: Buffer) => {
        chunks.push(chunk)
        child.stdout.pause()
        resolve()
      })
    })
    // Meanwhile, far ahead of where the export is: the last key goes, a key after it comes.
    const ns = await openNamespace('default', location)
    try {
      await ns.delete('k19999')
      await ns.put('k20000', 'late')
    } finally {
      await ns.close()
    }
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stdout.resume()
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect({code, stderr}).toEqual({code: 0, stderr: ''})
    const keys = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as {key: string}).key)
    // Documented per store (Store.entries, src/engine/store/store.ts): LMDB streams one snapshot taken when
    // the export starts; Redis reads page by page, each page consistent, so it sees writes made ahead of it.
    expect(keys.length).toBe(20_000)
    expect(keys.slice(-2)).toEqual(TEST_STORE === 'lmdb' ? ['k19998', 'k19999'] : ['k19998', 'k20000'])
    expect([...keys].sort()).toEqual(keys)
  })

  it('stops quietly when the reader goes away (kv export | head -1)', async () => {
    const {kv, env} = kvSandbox()
    const records = Array.from({length: 20_000}, (_, i) => JSON.stringify({key: `k${String(i).padStart(5, '0')}`, value: 'v'.repeat(100)})).join('\n')
    expect((await kv(['import', '-'], {input: records})).code).toBe(0)
    const result = await sh('kv export | head -1', env)
    expect(result.text.split('\n')[0]).toBe(`{"key":"k00000","value":"${'v'.repeat(100)}"}`)
    expect(result.stderr).toBe('')
  })
})
