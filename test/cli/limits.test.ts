import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

const MAX_VALUE = 26_214_400

/** A value of `size` bytes that is not all one byte, so a truncation or shift would show. */
function valueOf(size: number): Buffer {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i + 4 <= size; i += 4096) bytes.writeUInt32BE((i / 4096) >>> 0, i)
  bytes[size - 1] = 0xab
  return bytes
}

describe('key size limit (512 bytes of UTF-8)', () => {
  it('accepts 512 bytes and rejects 513 bytes with exit 2, counting bytes not characters', async () => {
    const {kv} = kvSandbox()
    const ascii512 = 'k'.repeat(512)
    const utf8512 = 'é'.repeat(256) // 256 characters, 512 bytes
    const ascii513 = 'k'.repeat(513)
    const utf8513 = `${'é'.repeat(256)}a` // 257 characters, 513 bytes
    const [okAscii, okUtf8, badAscii, badUtf8] = await Promise.all([
      kv(['put', ascii512, 'a']),
      kv(['put', utf8512, 'u']),
      kv(['put', ascii513, 'x']),
      kv(['put', utf8513, 'x']),
    ])
    expectQuietSuccess(okAscii)
    expectQuietSuccess(okUtf8)
    for (const bad of [badAscii, badUtf8]) {
      const line = expectFailure(bad, 2)
      expect(line).toContain('512')
      expect(line).toContain('513')
    }
    const [getAscii, getUtf8, getBad] = await Promise.all([kv(['get', ascii512]), kv(['get', utf8512]), kv(['get', ascii513])])
    expectOutput(getAscii, 'a')
    expectOutput(getUtf8, 'u')
    // Reading a key that could never exist is invalid input too.
    expectFailure(getBad, 2)
    expectOutput(await kv(['list']), `${ascii512}\n${utf8512}\n`)
  })
})

describe('value size limit (26,214,400 bytes)', () => {
  it('accepts exactly the limit through stdin and rejects one byte more, keeping the previous value', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'big', 'previous']))
    const tooBig = valueOf(MAX_VALUE + 1)
    const rejected = await kv(['put', 'big'], {input: tooBig})
    expect(expectFailure(rejected, 2)).toContain('26214400')
    expectOutput(await kv(['get', 'big']), 'previous')

    const max = tooBig.subarray(0, MAX_VALUE)
    expectQuietSuccess(await kv(['put', 'big'], {input: max}))
    expectOutput(await kv(['get', 'big']), max)
  })

  it('accepts exactly the limit with --file and rejects one byte more, keeping the previous value', async () => {
    const {kv} = kvSandbox()
    const dir = tempDir()
    const bytes = valueOf(MAX_VALUE + 1)
    const maxPath = join(dir, 'max.bin')
    const overPath = join(dir, 'over.bin')
    writeFileSync(maxPath, bytes.subarray(0, MAX_VALUE))
    writeFileSync(overPath, bytes)
    expectQuietSuccess(await kv(['put', 'big', 'previous']))
    expect(expectFailure(await kv(['put', 'big', '--file', overPath]), 2)).toContain('26214400')
    expectOutput(await kv(['get', 'big']), 'previous')
    expectQuietSuccess(await kv(['put', 'big', '--file', maxPath]))
    expectOutput(await kv(['get', 'big']), bytes.subarray(0, MAX_VALUE))
  })

  it('rejects one byte over the limit through --file -, keeping the previous value', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'big', 'previous']))
    expect(expectFailure(await kv(['put', 'big', '--file', '-'], {input: valueOf(MAX_VALUE + 1)}), 2)).toContain('26214400')
    expectOutput(await kv(['get', 'big']), 'previous')
  })
})
