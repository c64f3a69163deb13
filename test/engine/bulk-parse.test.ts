import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseBulk, type BulkFormat, type ParsedRecord} from '../../src/engine/bulk/parse.js'
import {KvError} from '../../src/index.js'

/** The input as a stream of byte chunks of `size` bytes (multi-byte characters get split across chunks). */
async function* chunked(text: string | Buffer, size: number): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function parseAll(text: string, options: {format?: BulkFormat; chunk?: number} = {}): Promise<ParsedRecord[]> {
  const out: ParsedRecord[] = []
  for await (const records of parseBulk(chunked(text, options.chunk ?? 1 << 16), options.format)) out.push(...records)
  return out
}

async function parseError(text: string, options: {format?: BulkFormat; chunk?: number} = {}): Promise<KvError> {
  try {
    await parseAll(text, options)
  } catch (error) {
    expect(error).toBeInstanceOf(KvError)
    return error as KvError
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`)
}

const records = [
  {key: 'a', value: '1'},
  {key: 'k,[]{}"\\', value: 'x\ny "]}, {', expiration: 1.5},
  {key: 'ünï ✓ 😀', value: '', metadata: {nested: [1, {deep: ']'}]}},
]

describe('format detection', () => {
  it('reads a JSON array when the first non-whitespace character is [', async () => {
    const parsed = await parseAll(`\n  ${JSON.stringify(records, null, 2)}\n`)
    expect(parsed.map((r) => r.data)).toEqual(records)
    expect(parsed.map((r) => r.index)).toEqual([0, 1, 2])
    expect(parsed.map((r) => r.line)).toEqual([3, 7, 12])
  })

  it('reads NDJSON when it is {, skipping blank lines, with 1-based line numbers', async () => {
    const text = `\n${records.map((r) => JSON.stringify(r)).join('\n\n')}\r\n`
    const parsed = await parseAll(text)
    expect(parsed.map((r) => r.data)).toEqual(records)
    expect(parsed.map((r) => [r.index, r.line])).toEqual([
      [0, 2],
      [1, 4],
      [2, 6],
    ])
  })

  it('empty input or only whitespace is no records in either format', async () => {
    expect(await parseAll('')).toEqual([])
    expect(await parseAll(' \n\t\n')).toEqual([])
    expect(await parseAll('[]')).toEqual([])
    expect(await parseAll('[ \n ]\n')).toEqual([])
  })

  it('refuses input that starts with anything else, naming the line', async () => {
    const error = await parseError('\n\nkey=value\n')
    expect(error.message).toMatch(/^line 3: .*neither a JSON array.*nor NDJSON/)
  })

  it('--format forces the format: an array read as ndjson is one record per line, an ndjson file read as json fails', async () => {
    const oneLine = `[${JSON.stringify(records[0])}]\n[${JSON.stringify(records[1])}]\n`
    const parsed = await parseAll(oneLine, {format: 'ndjson'})
    expect(parsed.map((r) => r.data)).toEqual([[records[0]], [records[1]]])
    const error = await parseError(`${JSON.stringify(records[0])}\n`, {format: 'json'})
    expect(error.message).toMatch(/line 1: the input does not start with "\["/)
  })

  it('skips a byte order mark at the start', async () => {
    expect((await parseAll(`\uFEFF${JSON.stringify(records)}`)).map((r) => r.data)).toEqual(records)
  })
})

describe('streaming', () => {
  it('gives the same records whatever the chunk size, down to one byte (strings, escapes, nesting, UTF-8 split)', async () => {
    const array = JSON.stringify(records, null, 1)
    const ndjson = records.map((r) => JSON.stringify(r)).join('\n')
    for (const chunk of [1, 2, 3, 5, 7, 64]) {
      expect((await parseAll(array, {chunk})).map((r) => [r.data, r.line])).toEqual((await parseAll(array)).map((r) => [r.data, r.line]))
      expect((await parseAll(ndjson, {chunk})).map((r) => r.data)).toEqual(records)
    }
  })

  it('property: any array of JSON values splits into its elements, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), {maxLength: 8}), fc.integer({min: 1, max: 40}), fc.boolean(), async (values, chunk, pretty) => {
        const text = JSON.stringify(values, null, pretty ? 2 : undefined)
        expect((await parseAll(text, {chunk})).map((r) => r.data)).toEqual(JSON.parse(text))
      }),
      {numRuns: 200},
    )
  })

  it('yields records before the input has ended (it does not read everything first)', async () => {
    let produced = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('[')
      for (;;) {
        produced++
        yield Buffer.from(`${JSON.stringify({key: `k${produced}`, value: 'v'})},`)
      }
    }
    let seen = 0
    for await (const batch of parseBulk(endless())) {
      seen += batch.length
      if (seen >= 100) break
    }
    expect(produced).toBeLessThan(110)
  })
})

describe('malformed input', () => {
  it('a record that is not valid JSON names its index and line', async () => {
    const ndjson = await parseError('{"key":"a","value":"1"}\n{"key":"b","value":"2"}\n{"key": oops}\n')
    expect(ndjson.message).toMatch(/^record 2 \(line 3\): not valid JSON/)
    const array = await parseError('[\n{"key":"a","value":"1"},\n{"key": nope}\n]')
    expect(array.message).toMatch(/^record 1 \(line 3\): not valid JSON/)
  })

  it('refuses broken array syntax: missing elements, trailing comma, text after the end, unbalanced, unterminated', async () => {
    expect((await parseError('[,{}]')).message).toMatch(/unexpected ","/)
    expect((await parseError('[{},]')).message).toMatch(/unexpected "]" after ","/)
    expect((await parseError('[{}] {}')).message).toMatch(/after the end of the array/)
    expect((await parseError('[{}}]')).message).toMatch(/unexpected "}"/)
    expect((await parseError('[{"key":"a","value":"1"}')).message).toMatch(/ends before the array's closing "\]"/)
    expect((await parseError('[{"key":"a')).message).toMatch(/in record 0/)
  })

  it('refuses input that is not UTF-8', async () => {
    async function* bad(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"key":"a","value":"')
      yield Buffer.from([0xff, 0xfe])
      yield Buffer.from('"}\n')
    }
    await expect(async () => {
      for await (const _ of parseBulk(bad())) void _
    }).rejects.toThrow(/not valid UTF-8/)
    // A sequence cut off by the end of the input.
    const cut = Buffer.concat([Buffer.from('{"key":"a","value":"1"}\n{"key":"b","value":"'), Buffer.from('€').subarray(0, 2)])
    await expect(async () => {
      for await (const _ of parseBulk(chunked(cut, 3))) void _
    }).rejects.toThrow(/not valid UTF-8/)
  })
})
