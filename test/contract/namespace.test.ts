import {describe, expect, it} from 'vitest'

import {KvError} from '../../src/index.js'
import {close, expectBytes, expectKvError, freshNamespace} from './fixture.js'

describe('get / put / delete', () => {
  it('returns what was put, and null for a key that was never put', async () => {
    const {ns} = await freshNamespace()
    await ns.put('user:123', JSON.stringify({name: 'John', role: 'admin'}))
    expect(await ns.get('user:123')).toBe('{"name":"John","role":"admin"}')
    expect(await ns.get('user:124')).toBeNull()
    expect(await ns.get('user:12')).toBeNull()
  })

  it('overwrites a value with a later put', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'first')
    await ns.put('k', 'second')
    expect(await ns.get('k')).toBe('second')
    expect(await ns.list()).toEqual(['k'])
  })

  it('delete removes the key from get and list, and leaves other keys alone', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('b', '2')
    await ns.delete('a')
    expect(await ns.get('a')).toBeNull()
    expect(await ns.get('b')).toBe('2')
    expect(await ns.list()).toEqual(['b'])
  })

  it('deleting a missing key resolves and changes nothing', async () => {
    const {ns} = await freshNamespace()
    await ns.put('kept', 'v')
    await expect(ns.delete('never-existed')).resolves.toBeUndefined()
    await ns.delete('kept')
    await expect(ns.delete('kept')).resolves.toBeUndefined()
    expect(await ns.list()).toEqual([])
  })

  it('a deleted key can be put again', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'one')
    await ns.delete('k')
    await ns.put('k', 'two')
    expect(await ns.get('k')).toBe('two')
  })

  it('deleteMany deletes every key in one go', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b', 'c', 'd']) await ns.put(key, key)
    await ns.deleteMany(['a', 'c', 'missing'])
    expect(await ns.list()).toEqual(['b', 'd'])
  })

  it('deleteMany with one invalid key deletes none of them', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b']) await ns.put(key, key)
    await expectKvError(ns.deleteMany(['a', '', 'b']), 'KEY_INVALID')
    expect(await ns.list()).toEqual(['a', 'b'])
  })

  it('stores an empty value, which is not the same as a missing key', async () => {
    const {ns} = await freshNamespace()
    await ns.put('empty', '')
    expect(await ns.get('empty')).toBe('')
    expect(await ns.get('empty', 'text')).toBe('')
    const bytes = await ns.get('empty', 'bytes')
    expect(bytes).not.toBeNull()
    expect(bytes!.byteLength).toBe(0)
    expect(await ns.list()).toEqual(['empty'])
    expect(await ns.get('missing')).toBeNull()
  })

  it('stores an empty byte array as an empty value', async () => {
    const {ns} = await freshNamespace()
    await ns.put('empty', new Uint8Array(0))
    expect(await ns.get('empty')).toBe('')
  })

  it('round-trips Unicode text and keys, including NUL characters', async () => {
    const {ns} = await freshNamespace()
    const text = 'héllo 日本語 🎉 \u0000 end'
    await ns.put('ключ 🔑', text)
    await ns.put('a\u0000b', 'nul in key')
    expect(await ns.get('ключ 🔑')).toBe(text)
    expect(await ns.get('a\u0000b')).toBe('nul in key')
    expect(await ns.get('a')).toBeNull()
    expect(await ns.list()).toEqual(['a\u0000b', 'ключ 🔑'])
  })
})

describe('get with a type', () => {
  it("'text' is the default, as a string or as {type}", async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', '{"a":1}')
    expect(await ns.get('k')).toBe('{"a":1}')
    expect(await ns.get('k', 'text')).toBe('{"a":1}')
    expect(await ns.get('k', {type: 'text'})).toBe('{"a":1}')
  })

  it("'json' parses the value, as a string or as {type}", async () => {
    const {ns} = await freshNamespace()
    const flags = {newCheckout: true, beta: ['a', 'b'], limit: 3, nested: {off: null}}
    await ns.put('flags', JSON.stringify(flags))
    expect(await ns.get('flags', 'json')).toEqual(flags)
    expect(await ns.get('flags', {type: 'json'})).toEqual(flags)
    await ns.put('scalar', '42')
    expect(await ns.get('scalar', 'json')).toBe(42)
  })

  it("'json' of a missing key is null", async () => {
    const {ns} = await freshNamespace()
    expect(await ns.get('missing', 'json')).toBeNull()
    expect(await ns.get('missing', {type: 'bytes'})).toBeNull()
  })

  it("'json' of a value that is not JSON fails with VALUE_INVALID naming the key", async () => {
    const {ns} = await freshNamespace()
    await ns.put('broken', '{"a":')
    const error = await expectKvError(ns.get('broken', 'json'), 'VALUE_INVALID')
    expect(error.message).toContain('"broken"')
    await expectKvError(ns.get('broken', {type: 'json'}), 'VALUE_INVALID')
    await ns.put('empty', '')
    await expectKvError(ns.get('empty', 'json'), 'VALUE_INVALID')
    // The value is still there and readable as text.
    expect(await ns.get('broken')).toBe('{"a":')
  })

  it("'bytes' returns the UTF-8 bytes of a text value", async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'é日')
    expectBytes(await ns.get('k', 'bytes'), new Uint8Array([0xc3, 0xa9, 0xe6, 0x97, 0xa5]))
    expectBytes(await ns.get('k', {type: 'bytes'}), new Uint8Array([0xc3, 0xa9, 0xe6, 0x97, 0xa5]))
  })

  it('an unknown type fails with VALUE_INVALID', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v')
    await expectKvError(ns.get('k', 'xml' as never), 'VALUE_INVALID')
  })
})

describe('binary values', () => {
  it('round-trips all 256 byte values exactly', async () => {
    const {ns} = await freshNamespace()
    const all = new Uint8Array(256)
    for (let i = 0; i < 256; i++) all[i] = i
    // Twice over, reversed the second time, so every byte also appears after every other kind of byte.
    const value = new Uint8Array([...all, ...all.slice().reverse()])
    await ns.put('all-bytes', value)
    expectBytes(await ns.get('all-bytes', 'bytes'), value)
  })

  it('round-trips invalid UTF-8 exactly', async () => {
    const {ns} = await freshNamespace()
    const invalid = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80, 0xc0, 0xaf, 0x00, 0x80])
    await ns.put('invalid', invalid)
    expectBytes(await ns.get('invalid', 'bytes'), invalid)
    // Reading it as text does not change what is stored.
    expect(typeof (await ns.get('invalid'))).toBe('string')
    expectBytes(await ns.get('invalid', 'bytes'), invalid)
  })

  it('stores only the bytes a view covers, for any kind of view or an ArrayBuffer', async () => {
    const {ns} = await freshNamespace()
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9, 9, 9])
    await ns.put('subarray', backing.subarray(2, 5))
    expectBytes(await ns.get('subarray', 'bytes'), new Uint8Array([1, 2, 3]))

    await ns.put('dataview', new DataView(backing.buffer, 2, 3))
    expectBytes(await ns.get('dataview', 'bytes'), new Uint8Array([1, 2, 3]))

    await ns.put('arraybuffer', backing.buffer.slice(2, 5))
    expectBytes(await ns.get('arraybuffer', 'bytes'), new Uint8Array([1, 2, 3]))

    const words = new Uint16Array([0x0102, 0x0304])
    await ns.put('uint16', words)
    expectBytes(await ns.get('uint16', 'bytes'), new Uint8Array(words.buffer))

    await ns.put('buffer', Buffer.from('xyz'))
    expect(await ns.get('buffer')).toBe('xyz')
  })

  it('a value read as bytes is not changed by later reads or writes', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', new Uint8Array([1, 1, 1, 1]))
    await ns.put('b', new Uint8Array([2, 2, 2, 2]))
    const a = await ns.get('a', 'bytes')
    const b = await ns.get('b', 'bytes')
    await ns.put('a', new Uint8Array([3, 3, 3, 3]))
    await ns.get('a', 'bytes')
    expectBytes(a, new Uint8Array([1, 1, 1, 1]))
    expectBytes(b, new Uint8Array([2, 2, 2, 2]))
  })

  it('changing the array after put does not change the stored value', async () => {
    const {ns} = await freshNamespace()
    const value = new Uint8Array([1, 2, 3])
    await ns.put('k', value)
    value[0] = 99
    expectBytes(await ns.get('k', 'bytes'), new Uint8Array([1, 2, 3]))
  })

  it('rejects a value that is neither a string nor bytes with VALUE_INVALID', async () => {
    const {ns} = await freshNamespace()
    for (const value of [42, null, undefined, {a: 1}, ['a'], true]) {
      await expectKvError(ns.put('k', value as never), 'VALUE_INVALID')
    }
    expect(await ns.list()).toEqual([])
  })

  it('rejects a string value with a lone surrogate with VALUE_INVALID', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.put('k', 'a\uD800b'), 'VALUE_INVALID')
    await expectKvError(ns.put('k', '\uDC00'), 'VALUE_INVALID')
    expect(await ns.get('k')).toBeNull()
  })
})

describe('errors', () => {
  it('are KvError instances with a stable code', async () => {
    const {ns} = await freshNamespace()
    const error = await expectKvError(ns.get(''), 'KEY_INVALID')
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(KvError)
    expect(error.name).toBe('KvError')
  })
})

describe('a closed namespace', () => {
  it('every call fails with NAMESPACE_CLOSED, in kv\'s words; closing again is fine', async () => {
    const {ns} = await freshNamespace('closing')
    await ns.put('k', 'v')
    await close(ns)
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => ns.get('k')],
      ['get json', () => ns.get('k', 'json')],
      ['get bytes', () => ns.get('k', 'bytes')],
      ['get many', () => ns.get(['k'])],
      ['getEntry', () => ns.getEntry('k')],
      ['getWithMetadata', () => ns.getWithMetadata('k')],
      ['put', () => ns.put('k', 'w')],
      ['putAll', () => ns.putAll((async function* () {
        yield [{key: 'k', value: 'w'}]
      })())],
      ['batch', () => ns.batch((batch) => batch.put('k', 'w'))],
      ['incr', () => ns.incr('n')],
      ['delete', () => ns.delete('k')],
      ['deleteMany', () => ns.deleteMany(['k'])],
      ['deletePrefix', () => ns.deletePrefix('k')],
      ['list', () => ns.list()],
      ['listPage', () => ns.listPage()],
      ['keys', async () => {
        for await (const key of ns.keys()) return key
      }],
      ['entries', async () => {
        for await (const entry of ns.entries()) return entry
      }],
      ['stats', () => ns.stats()],
      ['purgeExpired', () => ns.purgeExpired()],
    ]
    for (const [what, call] of calls) {
      const error = await expectKvError(call(), 'NAMESPACE_CLOSED')
      expect(error.message, what).toBe('namespace "closing" is closed: open it again with openNamespace')
    }
    await expect(ns.close()).resolves.toBeUndefined()
  })
})

describe('concurrency in one process', () => {
  it('200 concurrent puts all land', async () => {
    const {ns} = await freshNamespace()
    const keys = Array.from({length: 200}, (_, i) => `key:${String(i).padStart(3, '0')}`)
    await Promise.all(keys.map((key, i) => ns.put(key, `value ${i}`)))
    expect(await ns.list()).toEqual(keys)
    const values = await Promise.all(keys.map((key) => ns.get(key)))
    expect(values).toEqual(keys.map((_, i) => `value ${i}`))
  })

  it('gets made while a long write is open each find their own key (a store may keep their keys for later)', async () => {
    const {ns} = await freshNamespace()
    await Promise.all([ns.put('a', 'A'), ns.put('bb', 'BB'), ns.put('ccc', 'CCC')])
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    async function* records() {
      yield [{key: 'x', value: '1'}]
      await held
      yield [{key: 'y', value: '2'}]
    }
    const importing = ns.putAll(records())
    await new Promise((resolve) => setTimeout(resolve, 20))
    const reads = Promise.all([ns.get('a'), ns.get('bb'), ns.get('ccc'), ns.get('a', 'json').catch((error) => error.code)])
    release()
    await importing
    expect(await reads).toEqual(['A', 'BB', 'CCC', 'VALUE_INVALID'])
    expect(await ns.get(['x', 'y'])).toEqual(new Map([['x', '1'], ['y', '2']]))
  })

  it('writes made at once, without awaiting each, apply in the order they were made', async () => {
    const {ns} = await freshNamespace()
    await Promise.all([
      // A store may send the first call of a turn at once and let the ones after it wait to go together.
      ns.get('z'),
      ns.put('a', '1'),
      ns.delete('a'),
      ns.put('b', '1'),
      ns.put('b', '2', {expiresIn: 60}),
      ns.put('b', '3'),
      ns.put('c', '1', {ifAbsent: true}),
      ns.put('c', '2'),
      ns.put('d', '1'),
      ns.put('d', '2', {ifAbsent: true}),
    ])
    expect(await ns.get(['a', 'b', 'c', 'd'])).toEqual(new Map([['a', null], ['b', '3'], ['c', '2'], ['d', '1']]))
    expect((await ns.getEntry('b'))?.expiresAt).toBeNull()
    // Many more puts of one key than one write takes, some of them big: the last one made wins.
    const big = 'x'.repeat(300_000)
    await Promise.all(Array.from({length: 1200}, (_, i) => ns.put('e', i % 100 === 0 ? `${big}${i}` : String(i))))
    expect(await ns.get('e')).toBe('1199')
  })

  it('concurrent gets of every type each get their own value (a store may decode from a buffer it reuses)', async () => {
    const {ns} = await freshNamespace()
    const valueOf = (i: number) => JSON.stringify({i, pad: 'é'.repeat(i % 7 === 0 ? 200_000 : i)})
    const keys = Array.from({length: 60}, (_, i) => `k:${String(i).padStart(2, '0')}`)
    await Promise.all(keys.map((key, i) => ns.put(key, valueOf(i), i % 3 === 0 ? {metadata: {i}} : undefined)))
    const [texts, parsed, bytes] = await Promise.all([
      Promise.all(keys.map((key) => ns.get(key))),
      Promise.all(keys.map((key) => ns.get(key, 'json'))),
      Promise.all(keys.map((key) => ns.get(key, 'bytes'))),
    ])
    expect(texts).toEqual(keys.map((_, i) => valueOf(i)))
    expect(parsed).toEqual(keys.map((_, i) => JSON.parse(valueOf(i))))
    expect(bytes.map((value) => new TextDecoder().decode(value!))).toEqual(keys.map((_, i) => valueOf(i)))
    // More gets at once than one read takes, some of keys that do not exist.
    const many = await Promise.all(Array.from({length: 1100}, (_, i) => ns.get(`k:${String(i % 70).padStart(2, '0')}`)))
    expect(many).toEqual(Array.from({length: 1100}, (_, i) => (i % 70 < 60 ? valueOf(i % 70) : null)))
  })

  it('concurrent puts, deletes and reads of different keys do not interfere', async () => {
    const {ns} = await freshNamespace()
    await Promise.all(Array.from({length: 100}, (_, i) => ns.put(`old:${String(i).padStart(3, '0')}`, 'x')))
    await Promise.all([
      ...Array.from({length: 100}, (_, i) => ns.delete(`old:${String(i).padStart(3, '0')}`)),
      ...Array.from({length: 100}, (_, i) => ns.put(`new:${String(i).padStart(3, '0')}`, String(i))),
    ])
    expect(await ns.list({prefix: 'old:'})).toEqual([])
    const fresh = await ns.list({prefix: 'new:'})
    expect(fresh).toHaveLength(100)
    expect(await ns.get('new:042')).toBe('42')
  })
})
