import {describe, expect, it} from 'vitest'

import type {Namespace} from '../../src/index.js'
import {expectKvError, freshNamespace, numberedKeys} from './fixture.js'

/** Walks every page; returns the pages' key names. */
async function walk(ns: Namespace, options: {limit?: number; prefix?: string} = {}): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | null = null
  for (;;) {
    const page = await ns.listPage({...options, cursor})
    pages.push(page.keys.map((key) => key.name))
    // A page is complete exactly when it has no cursor.
    expect(page.complete).toBe(page.cursor === null)
    if (page.complete) return pages
    expect(typeof page.cursor).toBe('string')
    cursor = page.cursor
    if (pages.length > 100_000) throw new Error('listPage never completes')
  }
}

function byteOrder(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

describe('list', () => {
  it('returns keys in UTF-8 byte order, not UTF-16 or locale order', async () => {
    const {ns} = await freshNamespace()
    const keys = ['日本', 'z', 'é', 'a', 'A', ',', '!']
    for (const key of keys) await ns.put(key, 'v')
    expect(await ns.list()).toEqual(['!', ',', 'A', 'a', 'z', 'é', '日本'])
  })

  it('orders astral characters after U+E000–U+FFFF, as UTF-8 does (UTF-16 code units would not)', async () => {
    const {ns} = await freshNamespace()
    // UTF-16 order puts U+1F600 (a surrogate pair, 0xD83D…) before U+FF01; UTF-8 order puts it after.
    const keys = ['😀', '\uFF01', '\uE000', 'a']
    for (const key of keys) await ns.put(key, 'v')
    expect(await ns.list()).toEqual(['a', '\uE000', '\uFF01', '😀'])
    expect(await ns.list()).toEqual(byteOrder(keys))
  })

  it('orders a key before its extensions, including one that adds a NUL', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['ab', 'a\u0000', 'a', 'a\u0001', 'b']) await ns.put(key, 'v')
    expect(await ns.list()).toEqual(['a', 'a\u0000', 'a\u0001', 'ab', 'b'])
  })

  it('returns an empty array for an empty namespace', async () => {
    const {ns} = await freshNamespace()
    expect(await ns.list()).toEqual([])
  })

  it('returns at most 1000 keys by default', async () => {
    const {ns} = await freshNamespace()
    const keys = numberedKeys(1005)
    await Promise.all(keys.map((key) => ns.put(key, 'v')))
    const listed = await ns.list()
    expect(listed).toHaveLength(1000)
    expect(listed).toEqual(keys.slice(0, 1000))
    expect(await ns.list({limit: 1005})).toEqual(keys)
    expect(await ns.list({limit: 2000})).toEqual(keys)
  })

  it('limit caps the number of keys', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b', 'c', 'd']) await ns.put(key, 'v')
    expect(await ns.list({limit: 1})).toEqual(['a'])
    expect(await ns.list({limit: 3})).toEqual(['a', 'b', 'c'])
    expect(await ns.list({limit: 4})).toEqual(['a', 'b', 'c', 'd'])
    expect(await ns.list({limit: 5})).toEqual(['a', 'b', 'c', 'd'])
  })

  it('prefix selects keys that start with it, byte for byte', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['user:1', 'user:2', 'user', 'user;', 'users:1', 'USER:3', 'session:1', 'user:10']) await ns.put(key, 'v')
    expect(await ns.list({prefix: 'user:'})).toEqual(['user:1', 'user:10', 'user:2'])
    expect(await ns.list({prefix: 'user'})).toEqual(['user', 'user:1', 'user:10', 'user:2', 'user;', 'users:1'])
    expect(await ns.list({prefix: 'user:1'})).toEqual(['user:1', 'user:10'])
    expect(await ns.list({prefix: 'nope'})).toEqual([])
    expect(await ns.list({prefix: ''})).toHaveLength(8)
  })

  it('prefix and limit combine', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a1', 'a2', 'a3', 'b1']) await ns.put(key, 'v')
    expect(await ns.list({prefix: 'a', limit: 2})).toEqual(['a1', 'a2'])
  })

  it('prefix is literal: %, _ and \\ have no special meaning', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a%b', 'a_b', 'axb', 'a\\b', 'a.b', 'a*b', 'a']) await ns.put(key, 'v')
    expect(await ns.list({prefix: 'a%'})).toEqual(['a%b'])
    expect(await ns.list({prefix: 'a_'})).toEqual(['a_b'])
    expect(await ns.list({prefix: 'a\\'})).toEqual(['a\\b'])
    expect(await ns.list({prefix: 'a.'})).toEqual(['a.b'])
    expect(await ns.list({prefix: 'a*'})).toEqual(['a*b'])
    expect(await ns.list({prefix: '%'})).toEqual([])
  })

  it('prefix works with multibyte characters, matching whole UTF-8 sequences', async () => {
    const {ns} = await freshNamespace()
    // "é" is C3 A9; "ê" is C3 AA and "Ã" is C3 83: they share a first byte with "é".
    for (const key of ['日本:1', '日本:2', '日本', '日', '日曜', 'é1', 'é2', 'ê1', 'Ã1', 'e1', '😀a', '😀b', '😁']) await ns.put(key, 'v')
    expect(await ns.list({prefix: '日本'})).toEqual(['日本', '日本:1', '日本:2'])
    expect(await ns.list({prefix: '日'})).toEqual(['日', '日曜', '日本', '日本:1', '日本:2'])
    expect(await ns.list({prefix: 'é'})).toEqual(['é1', 'é2'])
    expect(await ns.list({prefix: '😀'})).toEqual(['😀a', '😀b'])
  })

  it('a prefix longer than any key finds nothing', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k'.repeat(512), 'v')
    expect(await ns.list({prefix: 'k'.repeat(512)})).toEqual(['k'.repeat(512)])
    expect(await ns.list({prefix: 'k'.repeat(513)})).toEqual([])
  })

  it('rejects a prefix that is not a string or not valid Unicode with KEY_INVALID', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.list({prefix: 5 as never}), 'KEY_INVALID')
    await expectKvError(ns.list({prefix: 'a\uD800'}), 'KEY_INVALID')
  })

  it('returns an array of strings, so for…of over it works as in the spec', async () => {
    const {ns} = await freshNamespace()
    await ns.put('session:a', '1')
    await ns.put('session:b', '2')
    await ns.put('user:c', '3')
    const sessions = await ns.list({prefix: 'session:'})
    expect(Array.isArray(sessions)).toBe(true)
    const seen: string[] = []
    for (const key of await ns.list({prefix: 'session:'})) {
      expect(typeof key).toBe('string')
      seen.push(`${key}=${await ns.get(key)}`)
    }
    expect(seen).toEqual(['session:a=1', 'session:b=2'])
  })

  it('does not list expired keys, and still fills the limit with live ones', async () => {
    const {ns, clock} = await freshNamespace()
    for (const key of ['a', 'c', 'e']) await ns.put(key, 'v')
    for (const key of ['b', 'd']) await ns.put(key, 'v', {expiresIn: 1})
    clock.advance(1000)
    expect(await ns.list()).toEqual(['a', 'c', 'e'])
    expect(await ns.list({limit: 2})).toEqual(['a', 'c'])
  })
})

describe('keys', () => {
  it('yields every live key under the prefix, past the 1,000 a list returns, in byte order', async () => {
    const {ns, clock} = await freshNamespace()
    const sessions = numberedKeys(2_500, 'session:')
    await ns.batch((batch) => {
      for (const key of sessions) batch.put(key, 'v')
      batch.put('session:expiring', 'v', {expiresIn: 1})
      batch.put('user:1', 'v')
    })
    clock.advance(1_000)
    expect(await ns.list({prefix: 'session:'})).toHaveLength(1_000)
    const seen: string[] = []
    for await (const key of ns.keys({prefix: 'session:'})) seen.push(key)
    expect(seen).toEqual(sessions)
  })

  it('the README\'s cleanup loop deletes every matching key as it goes', async () => {
    const {ns} = await freshNamespace()
    const sessions = numberedKeys(2_100, 'session:')
    await ns.batch((batch) => {
      for (const key of [...sessions, 'user:1']) batch.put(key, 'v')
    })
    for await (const key of ns.keys({prefix: 'session:'})) await ns.delete(key)
    expect(await ns.list()).toEqual(['user:1'])
  })

  it('of an empty namespace or an impossible prefix yields nothing; a bad prefix fails with KEY_INVALID', async () => {
    const {ns} = await freshNamespace()
    const all = async (prefix?: string) => {
      const keys: string[] = []
      for await (const key of ns.keys({prefix})) keys.push(key)
      return keys
    }
    expect(await all()).toEqual([])
    await ns.put('a', 'v')
    expect(await all('x'.repeat(600))).toEqual([])
    await expectKvError(all(42 as unknown as string), 'KEY_INVALID')
  })
})

describe('listPage', () => {
  it('reports each key with its expiry time', async () => {
    const {ns, clock} = await freshNamespace()
    const now = clock()
    await ns.put('a', 'v')
    await ns.put('b', 'v', {expiresIn: 60})
    expect(await ns.listPage()).toEqual({
      keys: [
        {name: 'a', expiresAt: null, metadata: null, revision: 1},
        {name: 'b', expiresAt: now + 60_000, metadata: null, revision: 2},
      ],
      cursor: null,
      complete: true,
    })
  })

  it('on an empty namespace returns one complete empty page', async () => {
    const {ns} = await freshNamespace()
    expect(await ns.listPage()).toEqual({keys: [], cursor: null, complete: true})
    expect(await ns.listPage({limit: 1})).toEqual({keys: [], cursor: null, complete: true})
  })

  describe('walks 2,500 keys exactly once, in order', () => {
    const keys = numberedKeys(2500)
    it.each([1, 2, 7, 1000, 2500, 2501])('with limit %d', async (limit) => {
      const {ns} = await freshNamespace()
      await Promise.all(keys.map((key) => ns.put(key, 'v')))
      const pages = await walk(ns, {limit})
      expect(pages.flat()).toEqual(keys)
      expect(pages).toHaveLength(Math.ceil(keys.length / limit))
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit)
      expect(pages.at(-1)!.length).toBe(keys.length - limit * (pages.length - 1))
    })
  })

  it('the last page has cursor null and complete true, even when it is exactly full', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b', 'c', 'd']) await ns.put(key, 'v')
    const first = await ns.listPage({limit: 2})
    expect(first.keys.map((key) => key.name)).toEqual(['a', 'b'])
    expect(first.complete).toBe(false)
    expect(first.cursor).toEqual(expect.any(String))
    const second = await ns.listPage({limit: 2, cursor: first.cursor})
    expect(second).toEqual({
      keys: [
        {name: 'c', expiresAt: null, metadata: null, revision: 3},
        {name: 'd', expiresAt: null, metadata: null, revision: 4},
      ],
      cursor: null,
      complete: true,
    })
  })

  it('the default page is 1000 keys', async () => {
    const {ns} = await freshNamespace()
    const keys = numberedKeys(1001)
    await Promise.all(keys.map((key) => ns.put(key, 'v')))
    const first = await ns.listPage()
    expect(first.keys).toHaveLength(1000)
    expect(first.complete).toBe(false)
    const second = await ns.listPage({cursor: first.cursor})
    expect(second.keys.map((key) => key.name)).toEqual([keys[1000]])
    expect(second.complete).toBe(true)
  })

  it('walks keys that extend one another with NULs (the cursor is the key, not a string prefix of it)', async () => {
    const {ns} = await freshNamespace()
    const keys = ['a', 'a\u0000', 'a\u0000\u0000', 'a\u0000b', 'ab', 'b']
    for (const key of keys) await ns.put(key, 'v')
    expect((await walk(ns, {limit: 1})).flat()).toEqual(keys)
    expect((await walk(ns, {limit: 2})).flat()).toEqual(keys)
  })

  it('walks multibyte and maximum-length keys in byte order', async () => {
    const {ns} = await freshNamespace()
    const keys = ['é'.repeat(256), 'z'.repeat(512), '日本', '😀', 'A', 'a\u0000']
    for (const key of keys) await ns.put(key, 'v')
    expect((await walk(ns, {limit: 1})).flat()).toEqual(byteOrder(keys))
    expect((await walk(ns, {limit: 4})).flat()).toEqual(byteOrder(keys))
  })

  it('skips expired keys in the middle of a page and still fills the page', async () => {
    const {ns, clock} = await freshNamespace()
    const keys = numberedKeys(30)
    // Every third key expires.
    for (const [i, key] of keys.entries()) await ns.put(key, 'v', i % 3 === 1 ? {expiresIn: 5} : undefined)
    clock.advance(5_000)
    const live = keys.filter((_, i) => i % 3 !== 1)
    expect(live).toHaveLength(20)
    const pages = await walk(ns, {limit: 5})
    expect(pages).toEqual([live.slice(0, 5), live.slice(5, 10), live.slice(10, 15), live.slice(15, 20)])
  })

  it('skips a run of expired keys longer than the page', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('a', 'v')
    await Promise.all(numberedKeys(50, 'm').map((key) => ns.put(key, 'v', {expiresIn: 1})))
    await ns.put('x', 'v')
    await ns.put('y', 'v')
    await ns.put('z', 'v')
    clock.advance(1000)
    expect(await walk(ns, {limit: 2})).toEqual([
      ['a', 'x'],
      ['y', 'z'],
    ])
    expect(await ns.listPage({limit: 3})).toEqual({
      keys: [
        {name: 'a', expiresAt: null, metadata: null, revision: 1},
        {name: 'x', expiresAt: null, metadata: null, revision: 52},
        {name: 'y', expiresAt: null, metadata: null, revision: 53},
      ],
      cursor: expect.any(String),
      complete: false,
    })
  })

  it('is complete when only expired keys follow the last live key', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('a', 'v')
    await ns.put('b', 'v')
    await Promise.all(numberedKeys(10, 'c').map((key) => ns.put(key, 'v', {expiresIn: 1})))
    clock.advance(1000)
    expect(await ns.listPage({limit: 2})).toEqual({
      keys: [
        {name: 'a', expiresAt: null, metadata: null, revision: 1},
        {name: 'b', expiresAt: null, metadata: null, revision: 2},
      ],
      cursor: null,
      complete: true,
    })
  })

  it('a cursor used with the same prefix continues within that prefix', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a1', 'b1', 'b2', 'b3', 'b4', 'b5', 'c1']) await ns.put(key, 'v')
    const first = await ns.listPage({prefix: 'b', limit: 2})
    expect(first.keys.map((key) => key.name)).toEqual(['b1', 'b2'])
    const second = await ns.listPage({prefix: 'b', limit: 2, cursor: first.cursor})
    expect(second.keys.map((key) => key.name)).toEqual(['b3', 'b4'])
    expect(second.complete).toBe(false)
    const third = await ns.listPage({prefix: 'b', limit: 2, cursor: second.cursor})
    expect(third).toEqual({keys: [{name: 'b5', expiresAt: null, metadata: null, revision: 6}], cursor: null, complete: true})
    expect((await walk(ns, {prefix: 'b', limit: 1})).flat()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5'])
  })

  it('a cursor from before the prefix starts at the prefix; one from after it finds nothing', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a1', 'b1', 'b2', 'c1', 'c2']) await ns.put(key, 'v')
    const afterA1 = (await ns.listPage({limit: 1})).cursor
    expect((await ns.listPage({prefix: 'b', cursor: afterA1})).keys.map((key) => key.name)).toEqual(['b1', 'b2'])
    const afterC1 = (await ns.listPage({prefix: 'c', limit: 1})).cursor
    expect(await ns.listPage({prefix: 'b', cursor: afterC1})).toEqual({keys: [], cursor: null, complete: true})
  })

  it('a cursor stays valid when its key is deleted, and new keys after it are seen', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b', 'c', 'e']) await ns.put(key, 'v')
    const first = await ns.listPage({limit: 2})
    await ns.delete('b')
    await ns.put('d', 'v')
    await ns.put('aa', 'v')
    const rest = await ns.listPage({cursor: first.cursor})
    expect(rest.keys.map((key) => key.name)).toEqual(['c', 'd', 'e'])
  })

  it('a cursor is plain base64url and survives reopening the namespace', async () => {
    const {ns, reopen} = await freshNamespace()
    for (const key of ['é', 'x', 'y']) await ns.put(key, 'v')
    const first = await ns.listPage({limit: 1})
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    const again = await reopen()
    expect(first.keys.map((key) => key.name)).toEqual(['x'])
    expect((await again.listPage({cursor: first.cursor})).keys.map((key) => key.name)).toEqual(['y', 'é'])
  })

  it('rejects an invalid cursor with CURSOR_INVALID', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', 'v')
    const tooLong = Buffer.alloc(513, 0x61).toString('base64url')
    for (const cursor of ['!!', '', 'a b', 'abc=', 'a/b', 'A', tooLong, 42, {}]) {
      await expectKvError(ns.listPage({cursor: cursor as string}), 'CURSOR_INVALID')
    }
  })

  it('takes only a cursor kv made: not "null" (what a complete list gives), nor any base64url text, nor a damaged one', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['a', 'b', 'foo', 'fop']) await ns.put(key, 'v')
    const {cursor} = await ns.listPage({limit: 1})
    expect(typeof cursor).toBe('string')
    const changed = cursor!.slice(0, 3) + (cursor![3] === 'A' ? 'B' : 'A') + cursor!.slice(4)
    const notMade = [Buffer.from('foo').toString('base64url'), Buffer.from('a').toString('base64url'), cursor!.slice(0, -2), `${cursor}AA`, changed]
    for (const text of notMade) {
      const error = await expectKvError(ns.listPage({cursor: text}), 'CURSOR_INVALID')
      expect(error.message).toBe(`invalid cursor ${JSON.stringify(text)}: not one kv made; pass the cursor a previous list returned, exactly`)
    }
    const error = await expectKvError(ns.listPage({cursor: 'null'}), 'CURSOR_INVALID')
    expect(error.message).toBe('invalid cursor "null": a complete list has cursor null, and nothing follows it')
  })

  it('a cursor at a 512-byte key (the longest) continues after it', async () => {
    const {ns} = await freshNamespace()
    const longest = 'a'.repeat(512)
    for (const key of [longest, 'b']) await ns.put(key, 'v')
    const first = await ns.listPage({limit: 1})
    expect(first.keys.map((key) => key.name)).toEqual([longest])
    expect((await ns.listPage({cursor: first.cursor})).keys.map((key) => key.name)).toEqual(['b'])
  })

  it('cursor null or undefined starts at the beginning', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', 'v')
    expect((await ns.listPage({cursor: null})).keys.map((key) => key.name)).toEqual(['a'])
    expect((await ns.listPage({cursor: undefined})).keys.map((key) => key.name)).toEqual(['a'])
  })
})
