import {describe, expect, it} from 'vitest'

import {expectKvError, freshNamespace, T0} from './fixture.js'

describe('conditional writes: ifAbsent', () => {
  it('writes a missing key and resolves true; leaves an existing one alone and resolves false', async () => {
    const {ns} = await freshNamespace()
    expect(await ns.put('seed', 'first', {ifAbsent: true})).toBe(true)
    expect(await ns.put('seed', 'second', {ifAbsent: true, metadata: {x: 1}})).toBe(false)
    expect(await ns.getWithMetadata('seed')).toEqual({value: 'first', metadata: null})
  })

  it('an expired key counts as absent', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'old', {expiresIn: 1})
    clock.advance(999)
    expect(await ns.put('k', 'new', {ifAbsent: true})).toBe(false)
    clock.advance(1)
    expect(await ns.put('k', 'new', {ifAbsent: true})).toBe(true)
    expect(await ns.getEntry('k')).toMatchObject({expiresAt: null})
  })

  it('concurrent seeders of one key: exactly one wins', async () => {
    const {ns, location} = await freshNamespace()
    const {open} = await import('./fixture.js')
    const handles = [ns, await open('test', location), await open('test', location)]
    const results = await Promise.all(Array.from({length: 24}, (_, i) => handles[i % 3].put('default', `seeder ${i}`, {ifAbsent: true})))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await ns.get('default')).toBe(`seeder ${results.indexOf(true)}`)
  })
})

describe('conditional writes: ifVersion', () => {
  it('getEntry gives a version; a put with it writes once, then the version is stale', async () => {
    const {ns} = await freshNamespace()
    await ns.put('doc', 'v1')
    const read = await ns.getEntry('doc')
    expect(read!.version).toMatch(/^[0-9a-f]{16}$/)
    expect(await ns.put('doc', 'v2', {ifVersion: read!.version})).toBe(true)
    expect(await ns.put('doc', 'v3', {ifVersion: read!.version})).toBe(false)
    expect(await ns.get('doc')).toBe('v2')
    const again = await ns.getEntry('doc')
    expect(again!.version).not.toBe(read!.version)
  })

  it('any write in between makes it fail: a put of the same value, a put that only changes metadata or expiry, a delete', async () => {
    const {ns} = await freshNamespace()
    const writes: ((key: string) => Promise<unknown>)[] = [
      (key) => ns.put(key, 'same'),
      (key) => ns.put(key, 'same', {metadata: {m: 1}}),
      (key) => ns.put(key, 'same', {expiresIn: 100}),
      (key) => ns.delete(key),
      (key) => ns.incr(key).catch(() => ns.put(key, '1')),
    ]
    for (const [i, write] of writes.entries()) {
      const key = `k${i}`
      await ns.put(key, 'same')
      const {version} = (await ns.getEntry(key))!
      await write(key)
      expect(await ns.put(key, 'mine', {ifVersion: version}), `write ${i}`).toBe(false)
    }
  })

  it('a key that expired since it was read fails the condition', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'v', {expiresIn: 10})
    const {version} = (await ns.getEntry('k'))!
    clock.advance(10_000)
    expect(await ns.put('k', 'v2', {ifVersion: version})).toBe(false)
    expect(await ns.get('k')).toBeNull()
  })

  it('a malformed version is VERSION_INVALID; ifAbsent with ifVersion is USAGE; nothing is written', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.put('k', 'v', {ifVersion: 'nope'}), 'VERSION_INVALID')
    await expectKvError(ns.put('k', 'v', {ifVersion: '00000000000000000', ifAbsent: true}), 'USAGE')
    expect(await ns.list()).toEqual([])
  })

  it('keeps expiry and metadata as the put states them', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v', {metadata: {a: 1}, expiresIn: 50})
    const {version, metadata, expiresAt} = (await ns.getEntry('k'))!
    expect(await ns.put('k', 'edited', {ifVersion: version, metadata, expiration: expiresAt! / 1000})).toBe(true)
    expect(await ns.getEntry('k')).toMatchObject({metadata: {a: 1}, expiresAt: T0 + 50_000})
  })
})

describe('reading several keys at once', () => {
  it('get([...]) returns a Map in the order asked, null for missing and expired keys', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('b', '{"x":2}')
    await ns.put('gone', 'v', {expiresIn: 1})
    clock.advance(1000)
    const values = await ns.get(['b', 'missing', 'a', 'gone'])
    expect([...values]).toEqual([
      ['b', '{"x":2}'],
      ['missing', null],
      ['a', '1'],
      ['gone', null],
    ])
    expect((await ns.get(['b'], 'json')).get('b')).toEqual({x: 2})
    expect(await ns.get([])).toEqual(new Map())
  })

  it('getEntries reads every key from one consistent view, with versions and metadata', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1', {metadata: {m: 'a'}})
    await ns.put('b', '2')
    const entries = await ns.getEntries(['a', 'b', 'c'])
    expect(entries.get('a')).toMatchObject({metadata: {m: 'a'}})
    expect(entries.get('b')?.version).toMatch(/^[0-9a-f]{16}$/)
    expect(entries.get('c')).toBeNull()
  })

  it('an invalid key among them is refused before anything is read', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.get(['ok', 'x'.repeat(513)]), 'KEY_TOO_LONG')
  })
})

describe('batch: optimistic reads', () => {
  it('a batch whose read key changed before it committed runs again, and never overwrites the change', async () => {
    const {ns, location} = await freshNamespace()
    const {open} = await import('./fixture.js')
    const other = await open('test', location)
    await ns.put('balance', '100')
    let runs = 0
    await ns.batch(async (batch) => {
      runs++
      const current = Number(new TextDecoder().decode((await batch.getEntry('balance'))!.value))
      // Someone else writes between this batch's read and its commit, the first time only.
      if (runs === 1) await other.put('balance', '150')
      batch.put('balance', String(current - 30))
    })
    expect(runs).toBe(2)
    expect(await ns.get('balance')).toBe('120')
  })
})
