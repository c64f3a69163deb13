import {describe, expect, it} from 'vitest'

import {parseListLimit, parseTtl} from '../../src/engine/limits.js'
import {DEFAULT_LIST_LIMIT, MAX_KEY_BYTES, MAX_LIST_LIMIT, MAX_TTL_SECONDS, MAX_VALUE_BYTES} from '../../src/index.js'
import {expectBytes, expectKvError, freshNamespace} from './fixture.js'

describe('the limits themselves', () => {
  it('are the spec values', () => {
    expect(MAX_KEY_BYTES).toBe(512)
    expect(MAX_VALUE_BYTES).toBe(26_214_400)
    expect(DEFAULT_LIST_LIMIT).toBe(1000)
    expect(MAX_LIST_LIMIT).toBe(100_000)
    expect(MAX_TTL_SECONDS).toBe(100 * 365 * 24 * 60 * 60)
  })
})

describe('key limits', () => {
  it('accepts a key of exactly 512 ASCII bytes, and lists it', async () => {
    const {ns} = await freshNamespace()
    const key = 'k'.repeat(512)
    await ns.put(key, 'v')
    expect(await ns.get(key)).toBe('v')
    expect(await ns.list()).toEqual([key])
    await ns.delete(key)
    expect(await ns.get(key)).toBeNull()
  })

  it('accepts a multibyte key of exactly 512 UTF-8 bytes (256 × "é")', async () => {
    const {ns} = await freshNamespace()
    const key = 'é'.repeat(256)
    expect(new TextEncoder().encode(key).length).toBe(512)
    await ns.put(key, 'v')
    expect(await ns.get(key)).toBe('v')
    expect(await ns.list()).toEqual([key])
  })

  it('accepts a 512-byte key with an expiry (its index entry is longer than the key)', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    const key = 'x'.repeat(512)
    await ns.put(key, 'v', {expiresIn: 10})
    expect(await ns.get(key)).toBe('v')
    clock.advance(10_000)
    expect(await ns.get(key)).toBeNull()
    expect(await ns.purgeExpired()).toBe(1)
  })

  it('rejects a 513-byte key with KEY_TOO_LONG, naming the limit and the size, for get, put and delete', async () => {
    const {ns} = await freshNamespace()
    const key = 'k'.repeat(513)
    const error = await expectKvError(ns.put(key, 'v'), 'KEY_TOO_LONG')
    expect(error.message).toMatch(/\b512\b/)
    expect(error.message).toMatch(/\b513\b/)
    await expectKvError(ns.get(key), 'KEY_TOO_LONG')
    await expectKvError(ns.delete(key), 'KEY_TOO_LONG')
    expect(await ns.list()).toEqual([])
  })

  it('counts UTF-8 bytes, not characters: 256 × "é" + "a" is 513 bytes', async () => {
    const {ns} = await freshNamespace()
    const key = `${'é'.repeat(256)}a`
    expect(key.length).toBe(257)
    const error = await expectKvError(ns.put(key, 'v'), 'KEY_TOO_LONG')
    expect(error.message).toMatch(/\b513\b/)
    // 171 × "日" is 513 bytes in only 171 characters.
    const cjk = await expectKvError(ns.put('日'.repeat(171), 'v'), 'KEY_TOO_LONG')
    expect(cjk.message).toMatch(/\b513\b/)
    expect(cjk.message).toMatch(/\b512\b/)
    expect(await ns.list()).toEqual([])
  })

  it('rejects an empty key with KEY_INVALID', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.put('', 'v'), 'KEY_INVALID')
    await expectKvError(ns.get(''), 'KEY_INVALID')
    await expectKvError(ns.delete(''), 'KEY_INVALID')
    expect(await ns.list()).toEqual([])
  })

  it('rejects a key that is not a string with KEY_INVALID', async () => {
    const {ns} = await freshNamespace()
    for (const key of [123, null, undefined, {}, ['a'], new Uint8Array([97]), Symbol('k')]) {
      await expectKvError(ns.put(key as never, 'v'), 'KEY_INVALID')
      // An array is a bulk get (Workers KV's get([k1, k2])): its elements are checked instead.
      await expectKvError(ns.get(Array.isArray(key) ? [123 as never] : (key as never)), 'KEY_INVALID')
      await expectKvError(ns.delete(key as never), 'KEY_INVALID')
    }
    expect(await ns.list()).toEqual([])
  })

  it('rejects a key with a lone surrogate with KEY_INVALID', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['\uD800', 'a\uDC00', 'x\uD83Dy']) {
      await expectKvError(ns.put(key, 'v'), 'KEY_INVALID')
      await expectKvError(ns.get(key), 'KEY_INVALID')
    }
    // A real surrogate pair is fine.
    await ns.put('\uD83D\uDE00', 'v')
    expect(await ns.list()).toEqual(['😀'])
  })
})

describe('value limits', () => {
  it('accepts a value of exactly 26,214,400 bytes and returns it byte for byte', async () => {
    const {ns} = await freshNamespace()
    const value = new Uint8Array(MAX_VALUE_BYTES)
    for (let i = 0; i < value.length; i += 4096) value[i] = (i / 4096) & 0xff
    value[value.length - 1] = 0xab
    await ns.put('big', value)
    expectBytes(await ns.get('big', 'bytes'), value)
  })

  it('rejects a value of 26,214,401 bytes with VALUE_TOO_LARGE and keeps the previous value', async () => {
    const {ns} = await freshNamespace()
    await ns.put('big', 'previous')
    await ns.put('other', 'untouched', {expiresIn: 3600})
    const error = await expectKvError(ns.put('big', new Uint8Array(MAX_VALUE_BYTES + 1)), 'VALUE_TOO_LARGE')
    expect(error.message).toContain('26214401')
    expect(error.message).toContain('26214400')
    expect(await ns.get('big')).toBe('previous')
    expect(await ns.get('other')).toBe('untouched')
    expect(await ns.list()).toEqual(['big', 'other'])
  })

  it('rejects a too-large value for a new key without creating the key', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.put('new', new Uint8Array(MAX_VALUE_BYTES + 1)), 'VALUE_TOO_LARGE')
    expect(await ns.get('new')).toBeNull()
    expect(await ns.list()).toEqual([])
  })

  it('measures a string value in UTF-8 bytes', async () => {
    const {ns} = await freshNamespace()
    // 13,107,200 × "é" is exactly the limit in bytes (and half of it in characters).
    const atLimit = 'é'.repeat(MAX_VALUE_BYTES / 2)
    await ns.put('text', atLimit)
    expect((await ns.get('text', 'bytes'))!.byteLength).toBe(MAX_VALUE_BYTES)
    await expectKvError(ns.put('text', `${atLimit}a`), 'VALUE_TOO_LARGE')
    expect((await ns.get('text', 'bytes'))!.byteLength).toBe(MAX_VALUE_BYTES)
    expect(await ns.get('text')).toBe(atLimit)
  })

  it('a put that fails any check leaves the existing value and expiry untouched', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v1', {expiresIn: 60})
    const before = await ns.listPage()
    await expectKvError(ns.put('k', 'v2', {expiresIn: 0}), 'TTL_INVALID')
    await expectKvError(ns.put('k', 'a\uD800'), 'VALUE_INVALID')
    await expectKvError(ns.put('k', new Uint8Array(MAX_VALUE_BYTES + 1)), 'VALUE_TOO_LARGE')
    expect(await ns.get('k')).toBe('v1')
    expect(await ns.listPage()).toEqual(before)
    expect(before.keys[0].expiresAt).not.toBeNull()
  })
})

describe('expiresIn', () => {
  it('accepts positive finite numbers of seconds, up to MAX_TTL_SECONDS', async () => {
    const {ns, clock} = await freshNamespace()
    const now = clock()
    for (const [i, ttl] of [1, 0.5, 60, 3600.25, MAX_TTL_SECONDS].entries()) {
      await ns.put(`k${i}`, 'v', {expiresIn: ttl})
    }
    const page = await ns.listPage()
    expect(page.keys.map((key) => key.expiresAt)).toEqual([
      now + 1000,
      now + 500,
      now + 60_000,
      now + 3_600_250,
      now + MAX_TTL_SECONDS * 1000,
    ])
  })

  it('rejects 0, negatives, NaN, infinities, strings and more than MAX_TTL_SECONDS with TTL_INVALID', async () => {
    const {ns} = await freshNamespace()
    const invalid: unknown[] = [0, -0, -1, -0.5, NaN, Infinity, -Infinity, '60', '1h', true, {}, [60], MAX_TTL_SECONDS + 1, Number.MAX_VALUE]
    for (const expiresIn of invalid) {
      const error = await expectKvError(ns.put('k', 'v', {expiresIn: expiresIn as number}), 'TTL_INVALID')
      expect(error.message).toContain('expiresIn')
    }
    expect(await ns.list()).toEqual([])
  })

  it('treats expiresIn undefined or null as no expiry', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('a', 'v', {expiresIn: undefined})
    await ns.put('b', 'v', {expiresIn: null})
    await ns.put('c', 'v', {})
    const page = await ns.listPage()
    expect(page.keys).toEqual([
      {name: 'a', expiresAt: null, metadata: null, revision: 1},
      {name: 'b', expiresAt: null, metadata: null, revision: 2},
      {name: 'c', expiresAt: null, metadata: null, revision: 3},
    ])
    clock.advance(MAX_TTL_SECONDS * 1000)
    expect(await ns.list()).toEqual(['a', 'b', 'c'])
  })
})

describe('parseTtl (the CLI form)', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['7d', 604_800],
    ['45', 45],
    ['1', 1],
    ['1.5h', 5400],
    [' 10s ', 10],
  ])('parses %j as %d seconds', (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds)
  })

  it.each(['', ' ', '1x', '-5', '1h30m', 'abc', 's', '0', '0s', '1 h', '1H', '1e3', '+5', '.5', '5.', 'Infinity', 'NaN', '0x10'])(
    'rejects %j with TTL_INVALID',
    (text) => {
      let caught: unknown
      try {
        parseTtl(text)
      } catch (error) {
        caught = error
      }
      expect(caught).toMatchObject({name: 'KvError', code: 'TTL_INVALID'})
    },
  )

  it('rejects more than 100 years with TTL_INVALID', () => {
    expect(parseTtl('36500d')).toBe(MAX_TTL_SECONDS)
    expect(() => parseTtl('36501d')).toThrow(expect.objectContaining({code: 'TTL_INVALID'}))
  })
})

describe('list limits', () => {
  it.each([0, -1, 1.5, 100_001, '10', NaN, Infinity, null])('list and listPage reject limit %j with LIMIT_INVALID', async (limit) => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await expectKvError(ns.list({limit: limit as number}), 'LIMIT_INVALID')
    await expectKvError(ns.listPage({limit: limit as number}), 'LIMIT_INVALID')
  })

  it('accepts 1 and 100,000', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('b', '2')
    expect(await ns.list({limit: 1})).toEqual(['a'])
    expect(await ns.list({limit: 100_000})).toEqual(['a', 'b'])
  })

  it('parseListLimit takes decimal digits only', () => {
    expect(parseListLimit('10')).toBe(10)
    expect(parseListLimit('100000')).toBe(100_000)
    for (const text of ['0', '-1', '1.5', '100001', 'ten', '', '1e3', '0x10']) {
      expect(() => parseListLimit(text)).toThrow(expect.objectContaining({code: 'LIMIT_INVALID'}))
    }
  })
})
