import {afterEach, describe, expect, it} from 'vitest'

import {openKVNamespace, type WorkersKVNamespace} from '../../src/adapters/workers/index.js'
import {openNamespace} from '../../src/index.js'
import {manualClock} from '../helpers.js'
import {freshLocation} from '../store-under-test.js'

// The Workers KVNamespace (src/adapters/workers/) on the store under test. Expected errors and shapes are
// the runtime's, as Miniflare's KV tests pin them down (packages/miniflare/test/plugins/kv/index.spec.ts).

/** 2026-01-01T00:00:00Z in seconds: where each test's clock starts. */
const NOW = Date.UTC(2026, 0, 1) / 1000
const opened: WorkersKVNamespace[] = []

afterEach(async () => {
  for (const kv of opened.splice(0)) await kv.close()
})

async function fresh() {
  const location = freshLocation()
  const clock = manualClock(NOW * 1000)
  const kv = await openKVNamespace('default', {...location, create: true, clock})
  opened.push(kv)
  return {kv, clock, location}
}

/** Asserts a rejection of exactly this error class (TypeError is not an Error here) with this message. */
async function expectFailure(promise: Promise<unknown>, type: ErrorConstructor | TypeErrorConstructor, message: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error, `expected a rejection: ${message}`).toBeInstanceOf(Error)
  expect((error as Error).constructor).toBe(type)
  expect((error as Error).message).toBe(message)
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
}

describe('openKVNamespace (./workers)', () => {
  it('gets text, JSON, an ArrayBuffer and a stream, by name or in the options form', async () => {
    const {kv} = await fresh()
    await kv.put('user:1', '{"name":"John","role":"admin"}')
    expect(await kv.get('user:1')).toBe('{"name":"John","role":"admin"}')
    expect(await kv.get('user:1', 'text')).toBe('{"name":"John","role":"admin"}')
    expect(await kv.get<{name: string}>('user:1', 'json')).toEqual({name: 'John', role: 'admin'})
    expect(await kv.get('user:1', {type: 'json'})).toEqual({name: 'John', role: 'admin'})
    expect(await kv.get('user:1', {cacheTtl: 60})).toBe('{"name":"John","role":"admin"}')

    const bytes = Uint8Array.from([0, 1, 2, 127, 128, 254, 255])
    await kv.put('blob', bytes.buffer)
    const buffer = await kv.get('blob', 'arrayBuffer')
    expect(buffer).toBeInstanceOf(ArrayBuffer)
    expect(new Uint8Array(buffer!)).toEqual(bytes)
    const stream = await kv.get('blob', {type: 'stream'})
    expect(stream).toBeInstanceOf(ReadableStream)
    expect(new Uint8Array(await new Response(stream).arrayBuffer())).toEqual(bytes)
    // A byte stream, as a Worker's: a BYOB reader works.
    const reader = (await kv.get('blob', 'stream'))!.getReader({mode: 'byob'})
    const {value} = await reader.read(new Uint8Array(16))
    expect(value).toEqual(bytes)

    expect([await kv.get('missing'), await kv.get('missing', 'json'), await kv.get('missing', 'arrayBuffer'), await kv.get('missing', 'stream')]).toEqual([
      null,
      null,
      null,
      null,
    ])
  })

  it('rejects an unknown type with the TypeError a Worker gets, and invalid JSON with JSON.parse\'s SyntaxError', async () => {
    const {kv} = await fresh()
    await kv.put('text', 'not json')
    await expectFailure(kv.get('text', 'bytes' as 'text'), TypeError, 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".')
    const error = await kv.get('text', 'json').catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(SyntaxError)
  })

  it('puts strings, ArrayBuffers, views and streams, resolving to undefined, and replaces what was there', async () => {
    const {kv} = await fresh()
    expect(await kv.put('k', 'one')).toBeUndefined()
    await kv.put('k', 'two', {metadata: {v: 2}})
    expect(await kv.getWithMetadata('k')).toEqual({value: 'two', metadata: {v: 2}, cacheStatus: null})
    await kv.put('k', 'three')
    expect(await kv.getWithMetadata('k')).toEqual({value: 'three', metadata: null, cacheStatus: null})

    await kv.put('view', new DataView(Uint8Array.from([9, 8, 7, 6]).buffer, 1, 2))
    expect(new Uint8Array((await kv.get('view', 'arrayBuffer'))!)).toEqual(Uint8Array.from([8, 7]))
    await kv.put('stream', streamOf(Uint8Array.from([255, 0]), Uint8Array.from([10, 20, 30, 200])))
    expect(new Uint8Array((await kv.get('stream', 'arrayBuffer'))!)).toEqual(Uint8Array.from([255, 0, 10, 20, 30, 200]))
    await kv.put('empty', '')
    expect(await kv.get('empty')).toBe('')
    // The binding sends other primitives as their text.
    await kv.put('number', 42 as unknown as string)
    expect(await kv.get('number', 'json')).toBe(42)
    await expectFailure(
      kv.put('object', {a: 1} as unknown as string),
      TypeError,
      'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.',
    )
  })

  it('checks key names as the runtime does, for every call', async () => {
    const {kv} = await fresh()
    const calls: [string, (key: string) => Promise<unknown>][] = [
      ['GET', (key) => kv.get(key)],
      ['GET', (key) => kv.getWithMetadata(key)],
      ['PUT', (key) => kv.put(key, 'value')],
      ['DELETE', (key) => kv.delete(key)],
      ['GET_BULK', (key) => kv.get([key])],
    ]
    for (const [method, call] of calls) {
      await expectFailure(call(''), TypeError, 'Key name cannot be empty.')
      await expectFailure(call('.'), TypeError, '"." is not allowed as a key name.')
      await expectFailure(call('..'), TypeError, '".." is not allowed as a key name.')
      await expectFailure(call('x'.repeat(513)), Error, `KV ${method} failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.`)
      await expectFailure(call('é'.repeat(257)), Error, `KV ${method} failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512.`)
    }
    // Anything else is a key: 512 bytes, dots inside, spaces.
    await kv.put('x'.repeat(512), 'long')
    await kv.put('...', 'dots')
    await kv.put(' a b ', 'spaces')
    expect(await kv.get(['x'.repeat(512), '...', ' a b '])).toEqual(new Map([['x'.repeat(512), 'long'], ['...', 'dots'], [' a b ', 'spaces']]))
  })

  it('takes expirationTtl of at least 60 seconds, and expiration at least 60 seconds ahead', async () => {
    const {kv, clock} = await fresh()
    const invalidTtl = (shown: number, rule: string) => `KV PUT failed: 400 Invalid expiration_ttl of ${shown}. ${rule}`
    await expectFailure(kv.put('k', 'v', {expirationTtl: 'nan' as unknown as number}), Error, invalidTtl(0, 'Please specify integer greater than 0.'))
    await expectFailure(kv.put('k', 'v', {expirationTtl: 0}), Error, invalidTtl(0, 'Please specify integer greater than 0.'))
    await expectFailure(kv.put('k', 'v', {expirationTtl: -5}), Error, invalidTtl(-5, 'Please specify integer greater than 0.'))
    await expectFailure(kv.put('k', 'v', {expirationTtl: 30}), Error, invalidTtl(30, 'Expiration TTL must be at least 60.'))
    const invalidExpiration = (shown: number, rule: string) => `KV PUT failed: 400 Invalid expiration of ${shown}. ${rule}`
    const past = 'Please specify integer greater than the current number of seconds since the UNIX epoch.'
    await expectFailure(kv.put('k', 'v', {expiration: 'nan' as unknown as number}), Error, invalidExpiration(0, past))
    await expectFailure(kv.put('k', 'v', {expiration: NOW}), Error, invalidExpiration(NOW, past))
    await expectFailure(kv.put('k', 'v', {expiration: NOW + 30}), Error, invalidExpiration(NOW + 30, 'Expiration times must be at least 60 seconds in the future.'))
    expect(await kv.get('k')).toBeNull()

    await kv.put('ttl', 'v', {expirationTtl: 60})
    await kv.put('at', 'v', {expiration: NOW + 120})
    // expirationTtl wins when both are given, as the API documents.
    await kv.put('both', 'v', {expirationTtl: 90, expiration: NOW + 600})
    const {keys} = await kv.list()
    expect(keys).toEqual([
      {name: 'at', expiration: NOW + 120},
      {name: 'both', expiration: NOW + 90},
      {name: 'ttl', expiration: NOW + 60},
    ])
    clock.advance(60_000)
    expect(await kv.get('ttl')).toBeNull()
    expect(await kv.get('both')).toBe('v')
    clock.advance(60_000)
    expect((await kv.list()).keys).toEqual([])
  })

  it('keeps metadata of at most 1024 bytes, falsy values included', async () => {
    const {kv} = await fresh()
    const key = 'x'.repeat(1024 - '{"key":""}'.length + 1)
    await expectFailure(kv.put('k', streamOf(Uint8Array.from([1])), {metadata: {key}}), Error, 'KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.')
    expect(await kv.get('k')).toBeNull()
    await kv.put('zero', '0', {metadata: 0})
    await kv.put('false', 'false', {metadata: false})
    await kv.put('text', '""', {metadata: 'example'})
    expect(await kv.getWithMetadata(['zero', 'false', 'text', 'missing'], 'json')).toEqual(
      new Map<string, unknown>([
        ['zero', {value: 0, metadata: 0}],
        ['false', {value: false, metadata: false}],
        ['text', {value: '', metadata: 'example'}],
        ['missing', null],
      ]),
    )
  })

  it('checks cacheTtl (at least 30) and otherwise ignores it', async () => {
    const {kv} = await fresh()
    await kv.put('k', 'v')
    await expectFailure(kv.get('k', {cacheTtl: 'not a number' as unknown as number}), Error, 'KV GET failed: 400 Invalid cache_ttl of 0. Cache TTL must be at least 30.')
    await expectFailure(kv.get('k', {cacheTtl: 10}), Error, 'KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.')
    await expectFailure(kv.get(['k'], {cacheTtl: 10}), Error, 'KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.')
    expect(await kv.get('k', {cacheTtl: 30})).toBe('v')
    expect(await kv.getWithMetadata('k', {type: 'text', cacheTtl: 3600})).toEqual({value: 'v', metadata: null, cacheStatus: null})
  })

  it('rejects values over 25 MiB with the length, from a stream too', async () => {
    const {kv} = await fresh()
    const limit = 25 * 1024 * 1024
    await expectFailure(kv.put('k', 'x'.repeat(limit + 1)), Error, `KV PUT failed: 413 Value length of ${limit + 1} exceeds limit of ${limit}.`)
    const mib = new Uint8Array(1024 * 1024)
    const chunks = Array.from({length: 26}, () => mib)
    await expectFailure(kv.put('k', streamOf(...chunks)), Error, `KV PUT failed: 413 Value length of ${26 * mib.length} exceeds limit of ${limit}.`)
    expect(await kv.get('k')).toBeNull()
  })

  it('gets up to 100 keys at once, as text or JSON, into a Map', async () => {
    const {kv} = await fresh()
    await kv.put('key1', '{"example": "ex"}', {metadata: {testing: true}})
    await kv.put('key2', 'example')
    expect(await kv.get(['key1', 'missing'])).toEqual(new Map([['key1', '{"example": "ex"}'], ['missing', null]]))
    expect(await kv.get(['key1'], 'json')).toEqual(new Map([['key1', {example: 'ex'}]]))
    expect(await kv.get(['key1'], {type: 'json'})).toEqual(new Map([['key1', {example: 'ex'}]]))
    expect(await kv.getWithMetadata(['key1', 'key2', 'missing'])).toEqual(
      new Map([
        ['key1', {value: '{"example": "ex"}', metadata: {testing: true}}],
        ['key2', {value: 'example', metadata: null}],
        ['missing', null],
      ]),
    )
    await expectFailure(kv.get(['key1', 'key2'], 'json'), Error, 'KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value')
    await expectFailure(kv.get(['key1'], 'arrayBuffer' as 'text'), Error, 'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"')
    await expectFailure(kv.get([]), Error, 'KV GET_BULK failed: 400 You must request a minimum of 1 key')
    const keys = Array.from({length: 101}, (_, i) => `key${i}`)
    await expectFailure(kv.get(keys), Error, 'KV GET_BULK failed: 400 You can request a maximum of 100 keys')
    expect((await kv.get(keys.slice(0, 100))).size).toBe(100)
  })

  it('lists in Workers\' shape: names in byte order, expiration in seconds, metadata only when set, cacheStatus', async () => {
    const {kv} = await fresh()
    await kv.put('key3', 'v', {expiration: NOW + 300, metadata: {testing: 3}})
    await kv.put('key1', 'v')
    await kv.put('key2', 'v', {metadata: {testing: 2}})
    await kv.put('!', 'v')
    await kv.put(', ', 'v')
    const all = await kv.list()
    expect(all).toEqual({
      keys: [{name: '!'}, {name: ', '}, {name: 'key1'}, {name: 'key2', metadata: {testing: 2}}, {name: 'key3', expiration: NOW + 300, metadata: {testing: 3}}],
      list_complete: true,
      cacheStatus: null,
    })
    expect('cursor' in all).toBe(false)
    expect(await kv.list({prefix: 'key', limit: 2})).toMatchObject({keys: [{name: 'key1'}, {name: 'key2'}], list_complete: false})
    expect((await kv.list({prefix: 'KEY'})).keys).toEqual([])
    expect((await kv.list({prefix: null, cursor: null})).keys).toHaveLength(5)
  })

  it('pages with the cursor, an empty cursor being the start; keys written between pages that sort later are found', async () => {
    const {kv} = await fresh()
    for (const key of ['key1', 'key3', 'key5']) await kv.put(key, 'v')
    const first = await kv.list({limit: 2, cursor: ''})
    expect(first.keys).toEqual([{name: 'key1'}, {name: 'key3'}])
    if (first.list_complete) throw new Error('the first page should not be the last')
    expect(typeof first.cursor).toBe('string')
    await kv.put('key2', 'v')
    await kv.put('key4', 'v')
    const second = await kv.list({limit: 2, cursor: first.cursor})
    expect(second).toEqual({keys: [{name: 'key4'}, {name: 'key5'}], list_complete: true, cacheStatus: null})
  })

  it('checks list limits and cursors: at most 1000 keys, 0 for the default', async () => {
    const {kv} = await fresh()
    await expectFailure(kv.list({limit: 1001}), Error, 'KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.')
    await expectFailure(kv.list({prefix: 'p'.repeat(513)}), Error, 'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
    await expectFailure(kv.list({cursor: '!!'}), Error, 'KV GET failed: 400 Invalid cursor: pass the cursor exactly as a previous list returned it.')
    for (let i = 0; i < 3; i++) await kv.put(`k${i}`, 'v')
    // The runtime sends only a positive limit: 0 is the default of 1000.
    expect((await kv.list({limit: 0})).keys).toHaveLength(3)
    expect((await kv.list({limit: 1000})).keys).toHaveLength(3)
  })

  it('deletes, resolving to undefined, a missing key included; expired keys are gone from get, list and bulk get', async () => {
    const {kv, clock} = await fresh()
    await kv.put('k', 'v')
    expect(await kv.delete('k')).toBeUndefined()
    expect(await kv.get('k')).toBeNull()
    expect(await kv.delete('never')).toBeUndefined()

    for (let i = 1; i <= 3; i++) await kv.put(`key${i}`, `value${i}`, {expiration: NOW + i * 60})
    clock.advance(130_000)
    expect(await kv.list()).toEqual({keys: [{name: 'key3', expiration: NOW + 180}], list_complete: true, cacheStatus: null})
    expect(await kv.get(['key1', 'key3'])).toEqual(new Map([['key1', null], ['key3', 'value3']]))
    expect(await kv.getWithMetadata('key2')).toEqual({value: null, metadata: null, cacheStatus: null})
  })

  it('is the same namespace the spec binding and the CLI see: a thin layer over one engine', async () => {
    const {kv, location, clock} = await fresh()
    const ns = await openNamespace('default', {...location, clock})
    try {
      await ns.put('flag:beta', 'on', {expiresIn: 3600.25, metadata: {owner: 'ana'}})
      // kv keeps milliseconds; Workers' list shows whole seconds.
      expect(await kv.list({prefix: 'flag:'})).toEqual({
        keys: [{name: 'flag:beta', expiration: NOW + 3600, metadata: {owner: 'ana'}}],
        list_complete: true,
        cacheStatus: null,
      })
      await kv.put('session:abc', 'data', {expirationTtl: 1800, metadata: {user: 1}})
      expect(await ns.getEntry('session:abc')).toMatchObject({expiresAt: (NOW + 1800) * 1000, metadata: {user: 1}})
      expect(await ns.get('session:abc')).toBe('data')
    } finally {
      await ns.close()
    }
  })
})
