import fc from 'fast-check'
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {exportBulk} from '../../src/engine/bulk/export.js'
import {importBulk, type ImportOptions} from '../../src/engine/bulk/import.js'
import {parseKeyList} from '../../src/engine/bulk/key-list.js'
import {KvError, MAX_VALUE_BYTES, type Batch, type Namespace} from '../../src/index.js'
import {all} from '../helpers.js'
import {close, expectBytes, expectKvError, freshNamespace, open, T0} from './fixture.js'

const ndjson = (...records: unknown[]) => records.map((record) => JSON.stringify(record)).join('\n')

async function* source(text: string): AsyncGenerator<string> {
  yield text
}

function run(ns: Namespace, text: string, options: ImportOptions = {}) {
  return importBulk(ns, source(text), {now: T0, ...options})
}

async function importError(ns: Namespace, text: string): Promise<KvError> {
  try {
    await run(ns, text)
  } catch (error) {
    expect(error).toBeInstanceOf(KvError)
    return error as KvError
  }
  throw new Error('expected the import to fail')
}

describe('importBulk', () => {
  it('writes text and base64 values, TTLs and absolute expirations', async () => {
    const {ns, clock} = await freshNamespace()
    const result = await run(
      ns,
      ndjson(
        {key: 'text', value: 'héllo'},
        {key: 'bytes', value: Buffer.from([0, 1, 0xff]).toString('base64'), base64: true},
        {key: 'unpadded', value: 'AAE', base64: true},
        {key: 'ttl', value: 'x', expiration_ttl: 60},
        {key: 'at', value: 'y', expiration: T0 / 1000 + 3600.25},
        {key: 'both', value: 'z', expiration: T0 / 1000 + 10, expiration_ttl: 7200},
        {key: 'nulls', value: 'n', expiration: null, expiration_ttl: null},
      ),
    )
    expect(result).toMatchObject({imported: 7, skipped: 0, existing: 0})
    expect(await ns.get('text')).toBe('héllo')
    expectBytes(await ns.get('bytes', 'bytes'), new Uint8Array([0, 1, 0xff]))
    expectBytes(await ns.get('unpadded', 'bytes'), new Uint8Array([0, 1]))
    const expiries = Object.fromEntries((await ns.listPage()).keys.map((k) => [k.name, k.expiresAt]))
    expect(expiries).toEqual({text: null, bytes: null, unpadded: null, ttl: T0 + 60_000, at: T0 + 3_600_250, both: T0 + 7_200_000, nulls: null})
    clock.advance(61_000)
    expect(await ns.get('ttl')).toBeNull()
  })

  it('skips and counts records whose absolute expiration has passed (a TTL wins over it)', async () => {
    const {ns} = await freshNamespace()
    const past = T0 / 1000 - 1
    const result = await run(ns, ndjson({key: 'gone', value: '1', expiration: past}, {key: 'now', value: '1', expiration: T0 / 1000}, {key: 'kept', value: '2', expiration: past, expiration_ttl: 60}, {key: 'plain', value: '3'}))
    expect(result).toMatchObject({imported: 2, skipped: 2, existing: 0})
    expect(await ns.list()).toEqual(['kept', 'plain'])
  })

  it('an expiration that has passed by the millisecond kv stores is skipped; a TTL however small is imported, for a millisecond', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('old', 'kept')
    const result = await run(
      ns,
      ndjson(
        // Stored to the millisecond, T0 + 0.4 ms would be T0: already passed.
        {key: 'old', value: 'would remove it', expiration: (T0 + 0.4) / 1000},
        {key: 'soon', value: '1', expiration: (T0 + 1) / 1000},
        {key: 'tiny', value: '2', expiration_ttl: 1e-9},
      ),
    )
    expect(result).toMatchObject({imported: 2, skipped: 1})
    expect(await ns.get(['old', 'soon', 'tiny'])).toEqual(new Map([['old', 'kept'], ['soon', '1'], ['tiny', '2']]))
    expect((await ns.getEntry('tiny'))?.expiresAt).toBe(T0 + 1)
    clock.advance(1)
    expect(await ns.list()).toEqual(['old'])
  })

  it('overwrites existing keys and removes their old expiration unless the record has one', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'old', {expiresIn: 60})
    await run(ns, ndjson({key: 'k', value: 'new'}))
    expect(await ns.getEntry('k')).toMatchObject({expiresAt: null})
    expect(await ns.get('k')).toBe('new')
  })

  it('stores metadata as given (null is none), and warns once about unknown fields without failing', async () => {
    const {ns} = await freshNamespace()
    const warnings: string[] = []
    const result = await run(
      ns,
      ndjson({key: 'a', value: '1', metadata: {x: 1}}, {key: 'b', value: '2', metadata: null, colour: 'red'}, {key: 'c', value: '3', size: 1, metadata: {}}),
      {onWarning: (warning) => warnings.push(warning)},
    )
    expect(result.imported).toBe(3)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^record 1 \(line 2\): ignoring unknown field "colour"/)
    expect((await ns.listPage()).keys.map((key) => key.metadata)).toEqual([{x: 1}, null, {}])
  })

  const invalid: Array<[string, unknown, string, RegExp]> = [
    ['not an object', ['key', 'value'], 'VALUE_INVALID', /must be an object.*got an array/],
    ['null', null, 'VALUE_INVALID', /must be an object.*got null/],
    ['missing key', {value: 'v'}, 'KEY_INVALID', /has no "key"/],
    ['key not a string', {key: 7, value: 'v'}, 'KEY_INVALID', /"key" must be a string, got 7/],
    ['empty key', {key: '', value: 'v'}, 'KEY_INVALID', /key is empty/],
    ['key too long', {key: 'k'.repeat(513), value: 'v'}, 'KEY_TOO_LONG', /key is 513 bytes; the limit is 512 bytes/],
    ['missing value', {key: 'k'}, 'VALUE_INVALID', /has no "value"/],
    ['value not a string', {key: 'k', value: {a: 1}}, 'VALUE_INVALID', /"value" must be a string .*got an object/],
    ['value too large', {key: 'k', value: 'v'.repeat(MAX_VALUE_BYTES + 1)}, 'VALUE_TOO_LARGE', /limit is 26214400 bytes/],
    ['base64 too large', {key: 'k', value: Buffer.alloc(MAX_VALUE_BYTES + 1).toString('base64'), base64: true}, 'VALUE_TOO_LARGE', /limit is 26214400 bytes/],
    ['base64 not a boolean', {key: 'k', value: 'AA==', base64: 'yes'}, 'VALUE_INVALID', /"base64" must be true or false/],
    ['bad base64', {key: 'k', value: 'not base64!', base64: true}, 'VALUE_INVALID', /not valid base64/],
    ['base64 of impossible length', {key: 'k', value: 'AAAAA', base64: true}, 'VALUE_INVALID', /not valid base64/],
    ['expiration a string', {key: 'k', value: 'v', expiration: '1767225600'}, 'TTL_INVALID', /expiration must be a positive number/],
    ['expiration negative', {key: 'k', value: 'v', expiration: -5}, 'TTL_INVALID', /expiration must be a positive number/],
    ['expiration beyond 100 years', {key: 'k', value: 'v', expiration: T0 / 1000 + 101 * 365 * 86_400}, 'TTL_INVALID', /100 years/],
    ['expiration_ttl a string', {key: 'k', value: 'v', expiration_ttl: '60'}, 'TTL_INVALID', /"expiration_ttl" must be a number/],
    ['expiration_ttl zero', {key: 'k', value: 'v', expiration_ttl: 0}, 'TTL_INVALID', /"expiration_ttl" must be a number/],
    ['expiration_ttl beyond 100 years', {key: 'k', value: 'v', expiration_ttl: 101 * 365 * 86_400}, 'TTL_INVALID', /100 years/],
  ]

  for (const [name, record, code, message] of invalid) {
    it(`a bad record in the middle (${name}) writes nothing and names the record`, async () => {
      const {ns} = await freshNamespace()
      await ns.put('existing', 'kept')
      const error = await importError(ns, ndjson({key: 'first', value: '1'}, {key: 'existing', value: 'changed'}, record, {key: 'last', value: '4'}))
      expect(error.code).toBe(code)
      expect(error.message).toMatch(/^record 2 \(line 3\): /)
      expect(error.message).toMatch(message)
      expect(await ns.list()).toEqual(['existing'])
      expect(await ns.get('existing')).toBe('kept')
    })
  }

  it('names the array index and line in JSON format too', async () => {
    const {ns} = await freshNamespace()
    const text = `[\n  {"key": "a", "value": "1"},\n  {"key": "b", "value": "2"},\n  {"key": "c"}\n]`
    const error = await importError(ns, text)
    expect(error.message).toBe('record 2 (line 4): has no "value"')
    expect(await ns.list()).toEqual([])
  })

  it('a source that fails midway writes nothing', async () => {
    const {ns} = await freshNamespace()
    async function* failing(): AsyncGenerator<string> {
      yield ndjson({key: 'a', value: '1'}, {key: 'b', value: '2'}) + '\n'
      throw new KvError('INPUT_UNREADABLE', 'cannot read input: gone')
    }
    await expect(importBulk(ns, failing())).rejects.toThrow('gone')
    expect(await ns.list()).toEqual([])
    await ns.put('after', 'ok')
    expect(await ns.list()).toEqual(['after'])
  })

  // Stores that commit large writes in chunks (Redis) must still show nothing of an import that fails
  // after more than one chunk (1,000 records each): these fail well past the first.
  it('a bad record at index 1,500 of 3,000 writes nothing, not even the records before it', async () => {
    const {ns} = await freshNamespace()
    await ns.put('before', 'kept')
    const records = Array.from({length: 3000}, (_, i) => (i === 1500 ? {key: 'x'.repeat(513), value: 'v'} : {key: `k${String(i).padStart(5, '0')}`, value: `v${i}`}))
    const error = await importError(ns, ndjson(...records))
    expect(error.code).toBe('KEY_TOO_LONG')
    expect(error.message).toMatch(/^record 1500 \(line 1501\): key is 513 bytes/)
    expect(await ns.list()).toEqual(['before'])
    expect(await ns.stats()).toMatchObject({keys: 1})
  })

  it('a source that errors after 10,000 records writes none of them', async () => {
    const {ns} = await freshNamespace()
    async function* failing(): AsyncGenerator<string> {
      for (let chunk = 0; chunk < 10; chunk++) {
        yield ndjson(...Array.from({length: 1000}, (_, i) => ({key: `k${chunk}-${i}`, value: 'v'.repeat(50), expiration_ttl: 60}))) + '\n'
      }
      throw new KvError('INPUT_UNREADABLE', 'cannot read input: connection reset')
    }
    await expect(importBulk(ns, failing())).rejects.toThrow('connection reset')
    expect(await ns.list({limit: 10})).toEqual([])
    expect(await ns.stats()).toMatchObject({keys: 0, expiring: 0})
  })

  it('a large import lands whole: 12,000 records with expirations and metadata, later records winning', async () => {
    const {ns} = await freshNamespace()
    const records = Array.from({length: 12_000}, (_, i) => ({key: `k${String(i % 10_000).padStart(5, '0')}`, value: `v${i}`, metadata: i % 7 === 0 ? {i} : undefined, expiration_ttl: i % 3 === 0 ? 100 : undefined}))
    expect(await run(ns, ndjson(...records))).toMatchObject({imported: 12_000, skipped: 0})
    expect(await ns.stats()).toMatchObject({keys: 10_000})
    expect(await ns.getWithMetadata('k00007')).toEqual({value: 'v10007', metadata: null})
    expect(await ns.getWithMetadata('k00003')).toEqual({value: 'v10003', metadata: {i: 10_003}})
    expect((await ns.getEntry('k09999'))?.expiresAt).toBe(T0 + 100_000)
  })
})

describe('exportBulk', () => {
  async function exported(ns: Namespace, options: Parameters<typeof exportBulk>[2] = {}): Promise<string> {
    const out = new PassThrough({highWaterMark: 16})
    const chunks: Buffer[] = []
    out.on('data', (chunk: Buffer) => chunks.push(chunk))
    const ended = new Promise((resolve) => out.on('end', resolve))
    const count = await exportBulk(ns, out, options)
    out.end()
    await ended
    const text = Buffer.concat(chunks).toString('utf8')
    expect(count).toBe(options.format === 'json' ? (JSON.parse(text) as unknown[]).length : text.split('\n').length - 1)
    return text
  }

  it('writes records in byte order: text as text, other bytes as base64, expirations in seconds (fractional)', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('b', new Uint8Array([0xc3, 0x28]))
    await ns.put('a', 'text')
    await ns.put('c', 'x', {expiresIn: 1.5})
    await ns.put('d', 'expired soon', {expiresIn: 1})
    clock.advance(1000)
    expect(await exported(ns)).toBe(
      `{"key":"a","value":"text"}\n{"key":"b","value":"wyg=","base64":true}\n{"key":"c","value":"x","expiration":${(T0 + 1500) / 1000}}\n`,
    )
    expect(await exported(ns, {prefix: 'a'})).toBe('{"key":"a","value":"text"}\n')
    expect(JSON.parse(await exported(ns, {format: 'json'}))).toEqual([
      {key: 'a', value: 'text'},
      {key: 'b', value: 'wyg=', base64: true},
      {key: 'c', value: 'x', expiration: (T0 + 1500) / 1000},
    ])
    expect(await exported(ns, {prefix: 'zz', format: 'json'})).toBe('[]\n')
  })

  it('round trip through import reproduces keys, bytes and expirations exactly', async () => {
    const {ns} = await freshNamespace()
    const other = await freshNamespace('other')
    const odd = [new Uint8Array(0), new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array(256).map((_, i) => i)]
    await ns.put('empty', odd[0])
    await ns.put('bom', odd[1])
    await ns.put('surrogate bytes', odd[2])
    await ns.put('all/bytes 🎉', odd[3], {expiresIn: 12.345})
    await ns.put('ünïcode key', 'välue\n"quoted"\u2028', {expiration: T0 / 1000 + 99.999})
    const text = await exported(ns)
    expect(await run(other.ns, text)).toMatchObject({imported: 5, skipped: 0})
    const entries = async (n: Namespace) => (await all(n.entries())).map(({name, value, expiresAt}) => [name, Buffer.from(value).toString('hex'), expiresAt])
    expect(await entries(other.ns)).toEqual(await entries(ns))
  })
})

describe('parseKeyList', () => {
  it('reads one key per line, keeping spaces, dropping \\r and blank lines', () => {
    expect(parseKeyList('a\r\n b \n\nc/d e\n')).toEqual(['a', ' b ', 'c/d e'])
  })

  it('reads JSON arrays of names or {name} objects, and the object kv list --json prints', () => {
    expect(parseKeyList('["a", "b"]')).toEqual(['a', 'b'])
    expect(parseKeyList('[{"name": "a", "expiration": 1}, {"name": "b"}]')).toEqual(['a', 'b'])
    expect(parseKeyList('{"keys": [{"name": "a", "expiresAt": null}], "cursor": null, "complete": true}')).toEqual(['a'])
  })

  it('refuses JSON-looking text that is not one of those shapes', () => {
    expect(() => parseKeyList('["a", ')).toThrow(/not valid JSON/)
    expect(() => parseKeyList('{"names": []}')).toThrow(/without a "keys" array/)
    expect(() => parseKeyList('[1]')).toThrow(/entry 0: expected a string/)
  })
})

describe('opening a namespace after bulk writes', () => {
  it('reopens after an import and a delete', async () => {
    const {ns, reopen} = await freshNamespace()
    await run(ns, ndjson({key: 'a', value: '1'}, {key: 'b c/d', value: 'AAEC/w==', base64: true, expiration_ttl: 100}, {key: 'x', value: 'y'}))
    await ns.deleteMany(['a', 'b c/d', 'x'])
    const again = await reopen()
    expect(await again.list()).toEqual([])
    await again.put('after', 'ok')
    expect(await again.get('after')).toBe('ok')
  })
})

type Model = Map<string, {value: string; expiresAt: number | null}>
type ModelOp = {type: 'delete'; key: string} | {type: 'put'; key: string; value: string; ttl: number | null}

/** Makes the ops in a batch and in the model alike. */
function applyOps(batch: Batch, ops: readonly ModelOp[], model: Model): void {
  for (const o of ops) {
    if (o.type === 'delete') {
      batch.delete(o.key)
      model.delete(o.key)
    } else {
      batch.put(o.key, o.value, {expiresIn: o.ttl})
      model.set(o.key, {value: o.value, expiresAt: o.ttl === null ? null : T0 + o.ttl * 1000})
    }
  }
}

/** The namespace holds exactly the model: entries in byte order, and the counts. */
async function expectMatches(ns: Namespace, model: Model): Promise<void> {
  const stored = (await all(ns.entries())).map(({name, value, expiresAt}) => [name, Buffer.from(value).toString(), expiresAt])
  const expected = [...model].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([key, {value, expiresAt}]) => [key, value, expiresAt])
  expect(stored).toEqual(expected)
  expect(await ns.stats()).toMatchObject({keys: model.size, expiring: [...model.values()].filter((v) => v.expiresAt !== null).length})
}

describe('batch puts past the last key (appended without a lookup)', () => {
  it('property: any mix of puts (with and without expiry) and deletes in batches matches a plain model', async () => {
    const op = fc.oneof(
      fc.record({type: fc.constant('put' as const), key: fc.stringMatching(/^[a-e]{1,3}$/), value: fc.string({maxLength: 3}), ttl: fc.option(fc.integer({min: 1, max: 100}))}),
      fc.record({type: fc.constant('delete' as const), key: fc.stringMatching(/^[a-e]{1,3}$/)}),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, {maxLength: 12}), {maxLength: 4}), async (batches) => {
        const {ns} = await freshNamespace()
        const model: Model = new Map()
        for (const ops of batches) {
          await ns.batch((batch) => {
            applyOps(batch, ops, model)
          })
        }
        await expectMatches(ns, model)
        await close(ns)
      }),
      {numRuns: 60},
    )
  })
})

describe('big writes (more than one plain write: the store\'s all-or-nothing bulk path, in chunks)', () => {
  it('property: puts (with and without expiry), repeated keys and deletes across chunk boundaries match a plain model', async () => {
    const op = fc.oneof(
      fc.record({type: fc.constant('put' as const), key: fc.stringMatching(/^[a-c]{1,2}$/), value: fc.string({maxLength: 3}), ttl: fc.option(fc.integer({min: 1, max: 100}))}),
      fc.record({type: fc.constant('delete' as const), key: fc.stringMatching(/^[a-c]{1,2}$/)}),
    )
    // Filler puts first, so that the ops straddle the 1,000-op chunks at any point.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({min: 960, max: 1040}), fc.array(op, {minLength: 1, maxLength: 60})), {minLength: 1, maxLength: 2}), async (batches) => {
        const {ns} = await freshNamespace()
        const model: Model = new Map()
        for (const [fillers, ops] of batches) {
          await ns.batch((batch) => {
            for (let i = 0; i < fillers; i++) {
              batch.put(`z:${i}`, 'f')
              model.set(`z:${i}`, {value: 'f', expiresAt: null})
            }
            applyOps(batch, ops, model)
          })
        }
        await expectMatches(ns, model)
        await close(ns)
      }),
      {numRuns: 25},
    )
  })
})

describe('putAll with ifAbsent (kv import --if-absent)', () => {
  it('writes only records whose key is missing or expired, leaves the others as they are, and counts them', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('admin', 'on', {metadata: {owner: 'ana'}, expiresIn: 3600})
    await ns.put('stale', 'old', {expiresIn: 1})
    clock.advance(2000)
    const before = (await ns.getEntry('admin'))!
    const result = await ns.putAll(
      (async function* () {
        yield [
          {key: 'admin', value: 'default'},
          {key: 'stale', value: 'default'},
          {key: 'fresh', value: 'first'},
          {key: 'fresh', value: 'second'},
        ]
      })(),
      {ifAbsent: true},
    )
    // Of two records for one missing key, the first is written: the second finds it there.
    expect(result.skipped).toBe(2)
    expect(await ns.get(['admin', 'stale', 'fresh'])).toEqual(new Map([['admin', 'on'], ['stale', 'default'], ['fresh', 'first']]))
    expect(await ns.getEntry('admin')).toEqual(before)
    // One revision (one chunk on Redis too), with only what it wrote in the log.
    expect(result.revisions).toEqual({first: 3, last: 3})
    expect((await ns.history({limit: 10})).changes.filter((change) => change.revision === 3).map((change) => change.key).sort()).toEqual(['fresh', 'stale'])
  })

  it('is all or nothing: a bad record among them writes none', async () => {
    const {ns} = await freshNamespace()
    const error = await expectKvError(
      ns.putAll(
        (async function* () {
          yield [
            {key: 'a', value: '1'},
            {key: '', value: 'bad'},
          ]
        })(),
        {ifAbsent: true},
      ),
      'KEY_INVALID',
    )
    expect(error.message).toMatch(/key is empty/)
    expect(await ns.list()).toEqual([])
  })

  it('writes nothing and makes no revision when every key is there', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    const result = await ns.putAll(
      (async function* () {
        yield [{key: 'a', value: '2'}]
      })(),
      {ifAbsent: true},
    )
    expect(result).toEqual({revisions: null, skipped: 1})
    expect((await ns.historyState()).revision).toBe(1)
  })
})
