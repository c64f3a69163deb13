import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput} from './cli-assert.js'

const ndjson = (...records: unknown[]) => `${records.map((record) => JSON.stringify(record)).join('\n')}\n`

describe('kv import', () => {
  it('reads NDJSON from stdin and a JSON array from a file; prints a one-line summary on stderr only', async () => {
    const {kv} = kvSandbox()
    const fromStdin = await kv(['import', '-'], {input: ndjson({key: 'a', value: '1'}, {key: 'b', value: 'Af8=', base64: true})})
    expect({code: fromStdin.code, stdout: fromStdin.text, stderr: fromStdin.stderr}).toEqual({code: 0, stdout: '', stderr: 'kv: imported 2 records into default at revision 1\n'})
    const file = join(tempDir(), 'flags.json')
    writeFileSync(file, JSON.stringify([{key: 'c', value: '3', expiration: 1000}, {key: 'd', value: '4', expiration_ttl: 3600}], null, 2))
    const fromFile = await kv(['import', file])
    expect({code: fromFile.code, stderr: fromFile.stderr}).toEqual({code: 0, stderr: 'kv: imported 1 record into default at revision 2 (1 skipped: already expired)\n'})
    expectOutput(await kv(['list']), 'a\nb\nd\n')
    expectOutput(await kv(['get', 'b']), new Uint8Array([0x01, 0xff]))
  })

  it('counts records, not keys: two records of one key are "2 records", and the later one is stored', async () => {
    const {kv} = kvSandbox()
    const result = await kv(['import', '-'], {input: ndjson({key: 'k', value: 'first'}, {key: 'k', value: 'second'})})
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: 'kv: imported 2 records into default at revision 1\n'})
    expectOutput(await kv(['list']), 'k\n')
    expectOutput(await kv(['get', 'k']), 'second')
  })

  it('--json prints {imported, skipped, existing, revisions} on stdout and nothing else', async () => {
    const {kv} = kvSandbox()
    const result = await kv(['import', '-', '--json'], {input: ndjson({key: 'a', value: '1'}, {key: 'old', value: '2', expiration: 1})})
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expect(JSON.parse(result.text)).toEqual({imported: 1, skipped: 1, existing: 0, revisions: {first: 1, last: 1}})
  })

  it('--if-absent writes only the records whose key is missing or expired, says how many it left, exits 0', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['put', 'set-by-admin', 'on'])).code).toBe(0)
    expect((await kv(['put', 'expired', 'old', '--expires-in', '1'])).code).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const input = ndjson({key: 'set-by-admin', value: 'default'}, {key: 'new', value: 'default'}, {key: 'expired', value: 'default'})
    const seeded = await kv(['import', '-', '--if-absent'], {input})
    expect({code: seeded.code, stdout: seeded.text}).toEqual({code: 0, stdout: ''})
    expect(seeded.stderr).toMatch(/^kv: imported 2 records into default at revisions? 3(-\d+)?; 1 record left as it was \(the key exists\)\n$/)
    expectOutput(await kv(['get', 'set-by-admin']), 'on')
    expectOutput(await kv(['get', 'new']), 'default')
    expectOutput(await kv(['get', 'expired']), 'default')
    // Run again: everything is there now.
    const again = await kv(['import', '-', '--if-absent', '--json'], {input})
    expect({code: again.code, stderr: again.stderr}).toEqual({code: 0, stderr: ''})
    expect(JSON.parse(again.text)).toEqual({imported: 0, skipped: 0, existing: 3, revisions: null})
  })

  it('--format forces the format', async () => {
    const {kv} = kvSandbox()
    const array = JSON.stringify([{key: 'a', value: '1'}])
    expectFailure(await kv(['import', '-', '--format', 'ndjson'], {input: array}), 2)
    expectFailure(await kv(['import', '-', '--format', 'json'], {input: ndjson({key: 'a', value: '1'})}), 2)
    expect((await kv(['import', '-', '--format', 'json'], {input: array})).code).toBe(0)
    expectFailure(await kv(['import', '-', '--format', 'xml'], {input: array}), 2)
  })

  it('warns once on stderr about unknown fields, and stores metadata', async () => {
    const {kv} = kvSandbox()
    const result = await kv(['import', '-'], {input: ndjson({key: 'a', value: '1', metadata: {}, x: 1}, {key: 'b', value: '2', metadata: {by: 'ci'}, y: 2})})
    expect(result.code).toBe(0)
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      'kv: record 0 (line 1): ignoring unknown field "x" (and any others like it)',
      'kv: imported 2 records into default at revision 1',
    ])
    expect(JSON.parse((await kv(['list', '--json'])).text).keys.map((key: {metadata: unknown}) => key.metadata)).toEqual([{}, {by: 'ci'}])
  })

  it('a bad record: exit 2, one line naming the record and the problem, nothing written', async () => {
    const {kv} = kvSandbox()
    await kv(['put', 'existing', 'kept'])
    const records = [{key: 'a', value: '1'}, {key: 'existing', value: 'changed'}, {key: 'k'.repeat(600), value: 'v'}, {key: 'z', value: '2'}]
    const line = expectFailure(await kv(['import', '-'], {input: ndjson(...records)}), 2)
    expect(line).toBe('kv: record 2 (line 3): key is 600 bytes; the limit is 512 bytes')
    const json = expectFailure(await kv(['import', '-', '--json'], {input: JSON.stringify(records)}), 2, {json: true, code: 'KEY_TOO_LONG'})
    expect(json).toContain('record 2 (line 1)')
    const broken = expectFailure(await kv(['import', '-'], {input: '{"key":"a","value":"1"}\n{"key":\n'}), 2)
    expect(broken).toMatch(/^kv: record 1 \(line 2\): not valid JSON/)
    expectOutput(await kv(['list']), 'existing\n')
    expectOutput(await kv(['get', 'existing']), 'kept')
  })

  it('usage and input errors exit 2 with one line', async () => {
    const {kv} = kvSandbox()
    expectFailure(await kv(['import']), 2)
    expect(expectFailure(await kv(['import', join(tempDir(), 'missing.ndjson')]), 2)).toMatch(/cannot read .*missing\.ndjson: no such file/)
    expect(expectFailure(await kv(['import', tempDir()]), 2)).toMatch(/it is a directory/)
    expect(expectFailure(await kv(['import', '-'], {input: 'key=value\n'}), 2)).toMatch(/neither a JSON array/)
  })

  it('into a namespace that does not exist: exit 1; empty input imports nothing', async () => {
    const {kv} = kvSandbox()
    expectFailure(await kv(['import', '-', '-n', 'nope'], {input: ndjson({key: 'a', value: '1'})}), 1)
    const empty = await kv(['import', '-'], {input: ''})
    expect({code: empty.code, stderr: empty.stderr}).toEqual({code: 0, stderr: 'kv: imported 0 records into default\n'})
  })
})
