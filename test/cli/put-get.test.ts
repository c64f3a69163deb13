import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

const ALL_BYTES = Uint8Array.from({length: 256}, (_, i) => i)

describe('kv put / get: where the value comes from', () => {
  it('takes the value from the argument, prints nothing, and get writes the exact bytes without a newline', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'greeting', 'héllo wörld']))
    expectQuietSuccess(await kv(['put', 'spaces', '  two words \n']))
    const [greeting, spaces] = await Promise.all([kv(['get', 'greeting']), kv(['get', 'spaces'])])
    expectOutput(greeting, 'héllo wörld')
    expectOutput(spaces, '  two words \n')
  })

  it('stores a value that looks like a flag after --', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'counter', '--', '-2']))
    expectOutput(await kv(['get', 'counter']), '-2')
  })

  it('reads every byte value from stdin, byte-exact', async () => {
    const {kv} = kvSandbox()
    const random = randomBytes(1024 * 1024)
    expectQuietSuccess(await kv(['put', 'all-bytes'], {input: ALL_BYTES}))
    expectQuietSuccess(await kv(['put', 'random'], {input: random}))
    const [allBytes, randomOut] = await Promise.all([kv(['get', 'all-bytes']), kv(['get', 'random'])])
    expectOutput(allBytes, ALL_BYTES)
    expectOutput(randomOut, random)
  })

  it('keeps a trailing newline from stdin as it is (no trimming, no extra newline)', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'line'], {input: 'one line\n\n'}))
    expectOutput(await kv(['get', 'line']), 'one line\n\n')
  })

  it('reads --file PATH (binary, byte-exact) and --file - (stdin)', async () => {
    const {kv} = kvSandbox()
    const dir = tempDir()
    const bytes = Buffer.concat([ALL_BYTES, randomBytes(100_000), ALL_BYTES])
    const path = join(dir, 'value.bin')
    writeFileSync(path, bytes)
    const fromStdin = randomBytes(70_000)
    const [file, shortFile, dash] = await Promise.all([
      kv(['put', 'from-file', '--file', path]),
      kv(['put', 'from-file-short', '-f', path]),
      kv(['put', 'from-dash', '--file', '-'], {input: fromStdin}),
    ])
    expectQuietSuccess(file)
    expectQuietSuccess(shortFile)
    expectQuietSuccess(dash)
    const [a, b, c] = await Promise.all([kv(['get', 'from-file']), kv(['get', 'from-file-short']), kv(['get', 'from-dash'])])
    expectOutput(a, bytes)
    expectOutput(b, bytes)
    expectOutput(c, fromStdin)
  })

  it('rejects a value given both as an argument and with --file (exit 2), storing nothing', async () => {
    const {kv} = kvSandbox()
    const path = join(tempDir(), 'v.txt')
    writeFileSync(path, 'from file')
    const both = await kv(['put', 'k', 'from arg', '--file', path])
    expectFailure(both, 2)
    expectFailure(await kv(['get', 'k']), 1)
  })

  it('fails with exit 2 on a missing --file, a directory as --file', async () => {
    const {kv} = kvSandbox()
    const dir = tempDir()
    const [missing, directory] = await Promise.all([
      kv(['put', 'k', '--file', join(dir, 'nope')]),
      kv(['put', 'k', '--file', dir]),
    ])
    expect(expectFailure(missing, 2)).toContain('nope')
    expectFailure(directory, 2)
  })
})

describe('kv put / get: empty and missing values', () => {
  it('stores an empty value from an empty argument and from empty stdin; get prints nothing and exits 0', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'empty-arg', '']))
    expectQuietSuccess(await kv(['put', 'empty-stdin'], {input: ''}))
    const [a, b, missing, json] = await Promise.all([
      kv(['get', 'empty-arg']),
      kv(['get', 'empty-stdin']),
      kv(['get', 'missing']),
      kv(['get', 'empty-stdin', '--json']),
    ])
    expectOutput(a, '')
    expectOutput(b, '')
    const line = expectFailure(missing, 1)
    expect(line).toContain('missing')
    expect(JSON.parse(json.text)).toEqual({key: 'empty-stdin', value: '', base64: false, expiresAt: null, metadata: null, revision: expect.any(Number)})
  })

  it('a missing key exits 1 with empty stdout and one line on stderr; with --json the error is JSON', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'present', 'x']))
    const [plain, json] = await Promise.all([kv(['get', 'absent']), kv(['get', 'absent', '--json'])])
    expectFailure(plain, 1)
    expectFailure(json, 1, {json: true, code: 'KEY_NOT_FOUND'})
  })

  it('overwrites a value', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'first']))
    expectQuietSuccess(await kv(['put', 'k', 'second']))
    expectOutput(await kv(['get', 'k']), 'second')
  })
})

describe('kv get --json', () => {
  it('gives {key, value, base64: false, expiresAt, metadata} for text, as one line', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'user:1', '{"name":"Jöhn"}']))
    const result = await kv(['get', 'user:1', '--json'])
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expect(result.text).toMatch(/^[^\n]+\n$/)
    expect(JSON.parse(result.text)).toEqual({key: 'user:1', value: '{"name":"Jöhn"}', base64: false, expiresAt: null, metadata: null, revision: 1})
  })

  it('gives base64: true and the base64 of the bytes for invalid UTF-8', async () => {
    const {kv} = kvSandbox()
    const bytes = Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80])
    expectQuietSuccess(await kv(['put', 'bin'], {input: bytes}))
    expectQuietSuccess(await kv(['put', 'all'], {input: ALL_BYTES}))
    const [bin, all] = await Promise.all([kv(['get', 'bin', '--json']), kv(['get', 'all', '--json'])])
    expect(bin.code).toBe(0)
    expect(JSON.parse(bin.text)).toEqual({key: 'bin', value: bytes.toString('base64'), base64: true, expiresAt: null, metadata: null, revision: expect.any(Number)})
    expect(JSON.parse(all.text)).toEqual({key: 'all', value: Buffer.from(ALL_BYTES).toString('base64'), base64: true, expiresAt: null, metadata: null, revision: expect.any(Number)})
  })
})
