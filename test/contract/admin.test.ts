import {describe, expect, it} from 'vitest'

import {createNamespace, deleteNamespace, listNamespaces, namespaceExists} from '../../src/index.js'
import {freshLocation} from '../store-under-test.js'
import {close, expectKvError, freshNamespace, numberedKeys, open, T0} from './fixture.js'

const MAX_SAFE = Number.MAX_SAFE_INTEGER

describe('Namespace.incr', () => {
  it('counts a missing key as 0, adds 1 by default, stores the number as text', async () => {
    const {ns} = await freshNamespace()
    expect(await ns.incr('hits')).toBe(1)
    expect(await ns.incr('hits')).toBe(2)
    expect(await ns.get('hits')).toBe('2')
    expect((await ns.getEntry('hits'))?.expiresAt).toBeNull()
  })

  it('adds a negative or zero `by`, and may go below zero', async () => {
    const {ns} = await freshNamespace()
    await ns.put('stock', '10')
    expect(await ns.incr('stock', {by: -4})).toBe(6)
    expect(await ns.incr('stock', {by: 0})).toBe(6)
    expect(await ns.incr('stock', {by: -10})).toBe(-4)
    expect(await ns.get('stock')).toBe('-4')
  })

  it('accepts a stored value with a sign or surrounding whitespace', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', ' +41\n')
    expect(await ns.incr('a')).toBe(42)
    await ns.put('b', '-7')
    expect(await ns.incr('b', {by: 2})).toBe(-5)
  })

  it('counts an expired key as 0 and gives it the new TTL', async () => {
    const {ns, clock} = await freshNamespace()
    expect(await ns.incr('rate', {expiresIn: 60})).toBe(1)
    clock.advance(60_000)
    expect(await ns.get('rate')).toBeNull()
    expect(await ns.incr('rate', {by: 5, expiresIn: 30})).toBe(5)
    expect((await ns.getEntry('rate'))?.expiresAt).toBe(T0 + 60_000 + 30_000)
  })

  it('sets the TTL only on creation: later hits with expiresIn keep the window fixed', async () => {
    const {ns, clock} = await freshNamespace()
    expect(await ns.incr('rate', {expiresIn: 60})).toBe(1)
    clock.advance(59_000)
    expect(await ns.incr('rate', {expiresIn: 60})).toBe(2)
    expect((await ns.getEntry('rate'))?.expiresAt).toBe(T0 + 60_000)
    clock.advance(1000)
    expect(await ns.get('rate')).toBeNull()
  })

  it('keeps an existing expiration when called without expiresIn', async () => {
    const {ns} = await freshNamespace()
    await ns.put('c', '1', {expiresIn: 100})
    expect(await ns.incr('c')).toBe(2)
    expect((await ns.getEntry('c'))?.expiresAt).toBe(T0 + 100_000)
  })

  it('does not add an expiration to an existing counter that has none', async () => {
    const {ns} = await freshNamespace()
    await ns.put('c', '5')
    expect(await ns.incr('c', {expiresIn: 10})).toBe(6)
    expect((await ns.getEntry('c'))?.expiresAt).toBeNull()
  })

  it('a non-integer value is VALUE_INVALID and stays byte for byte unchanged, expiry included', async () => {
    const {ns} = await freshNamespace()
    for (const value of ['hello', '1.5', '1e3', '', '0x10', '12abc', '99999999999999999999']) {
      await ns.put('v', value, {expiresIn: 50})
      const error = await expectKvError(ns.incr('v'), 'VALUE_INVALID')
      expect(error.message).toContain('"v"')
      expect(await ns.get('v')).toBe(value)
      expect((await ns.getEntry('v'))?.expiresAt).toBe(T0 + 50_000)
    }
  })

  it('a non-integer `by` or a bad TTL is rejected before anything is written', async () => {
    const {ns} = await freshNamespace()
    for (const by of [1.5, Number.NaN, Infinity, MAX_SAFE + 1, '3' as unknown as number]) {
      await expectKvError(ns.incr('n', {by}), 'VALUE_INVALID')
    }
    await expectKvError(ns.incr('n', {expiresIn: -1}), 'TTL_INVALID')
    expect(await ns.get('n')).toBeNull()
  })

  it('refuses to leave the safe integer range, in either direction, and keeps the value', async () => {
    const {ns} = await freshNamespace()
    await ns.put('big', String(MAX_SAFE - 1))
    expect(await ns.incr('big')).toBe(MAX_SAFE)
    await expectKvError(ns.incr('big'), 'VALUE_INVALID')
    expect(await ns.get('big')).toBe(String(MAX_SAFE))
    await ns.put('small', String(-MAX_SAFE))
    await expectKvError(ns.incr('small', {by: -1}), 'VALUE_INVALID')
    expect(await ns.get('small')).toBe(String(-MAX_SAFE))
  })

  it('concurrent increments through two handles lose nothing', async () => {
    const {ns, location} = await freshNamespace()
    const other = await open('test', location)
    await Promise.all(Array.from({length: 50}, (_, i) => (i % 2 ? ns : other).incr('n')))
    expect(await ns.get('n')).toBe('50')
  })
})

describe('Namespace.deletePrefix', () => {
  it('deletes exactly the keys with the prefix and returns how many were live', async () => {
    const {ns} = await freshNamespace()
    for (const key of ['user:1', 'user:2', 'user:3', 'user', 'users', 'usex', 'admin']) await ns.put(key, 'v')
    expect(await ns.deletePrefix('user:')).toBe(3)
    expect(await ns.list()).toEqual(['admin', 'user', 'users', 'usex'])
    expect(await ns.deletePrefix('user:')).toBe(0)
  })

  it('counts only live keys, and removes the expired ones under the prefix too', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    await ns.put('s:live', 'v')
    await ns.put('s:old', 'v', {expiresIn: 1})
    await ns.put('t:live', 'v')
    clock.advance(1000)
    expect((await ns.stats()).expired).toBe(1)
    expect(await ns.deletePrefix('s:')).toBe(1)
    expect(await ns.stats()).toMatchObject({keys: 1, expired: 0})
    expect(await ns.list()).toEqual(['t:live'])
  })

  it("'' deletes every key", async () => {
    const {ns} = await freshNamespace()
    for (const key of numberedKeys(2500)) await ns.batch((b) => b.put(key, 'v'))
    await ns.put('\u00ff\u00ff', 'v')
    expect(await ns.deletePrefix('')).toBe(2501)
    expect(await ns.list()).toEqual([])
    expect((await ns.stats()).keys).toBe(0)
  })

  it('handles prefixes ending in 0xff bytes (no upper bound) and more keys than one chunk', async () => {
    const {ns} = await freshNamespace()
    await ns.batch((b) => {
      for (const key of numberedKeys(2100, '\u00ff')) b.put(key, 'v')
      b.put('a', 'keep')
    })
    expect(await ns.deletePrefix('\u00ff')).toBe(2100)
    expect(await ns.list()).toEqual(['a'])
  })

  it('a prefix longer than any key matches nothing; an invalid one is KEY_INVALID; neither deletes', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v')
    expect(await ns.deletePrefix('k'.repeat(513))).toBe(0)
    await expectKvError(ns.deletePrefix('k\ud800'), 'KEY_INVALID')
    expect(await ns.list()).toEqual(['k'])
  })
})

describe('Namespace.stats', () => {
  it('counts live keys, live keys with an expiration, and expired keys awaiting reclaim', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    expect(await ns.stats()).toMatchObject({keys: 0, expiring: 0, expired: 0})
    await ns.put('a', 'v')
    await ns.put('b', 'v', {expiresIn: 10})
    await ns.put('c', 'v', {expiresIn: 100})
    expect(await ns.stats()).toMatchObject({keys: 3, expiring: 2, expired: 0})
    clock.advance(10_000)
    expect(await ns.stats()).toMatchObject({keys: 2, expiring: 1, expired: 1})
    expect(await ns.purgeExpired()).toBe(1)
    expect(await ns.stats()).toMatchObject({keys: 2, expiring: 1, expired: 0})
    await ns.put('c', 'v')
    expect(await ns.stats()).toMatchObject({keys: 2, expiring: 0, expired: 0})
    await ns.delete('a')
    expect(await ns.stats()).toMatchObject({keys: 1, expiring: 0, expired: 0})
  })

})

describe('listNamespaces and deleteNamespace', () => {
  it('lists namespaces sorted; a place with none has none', async () => {
    const location = freshLocation()
    expect(await listNamespaces(location)).toEqual([])
    for (const name of ['zeta', 'alpha', 'm.1']) await createNamespace(name, location)
    expect(await listNamespaces(location)).toEqual(['alpha', 'm.1', 'zeta'])
  })

  it('deletes a namespace completely; it can be created again, empty', async () => {
    const location = freshLocation()
    const ns = await open('gone', {...location, create: true})
    await ns.put('k', 'v')
    await close(ns)
    await deleteNamespace('gone', location)
    expect(await namespaceExists('gone', location)).toBe(false)
    expect(await listNamespaces(location)).toEqual([])
    const again = await open('gone', {...location, create: true})
    expect(await again.list()).toEqual([])
  })

  it('deleting a missing namespace is NAMESPACE_NOT_FOUND; a bad name is NAMESPACE_NAME_INVALID', async () => {
    const location = freshLocation()
    await expectKvError(deleteNamespace('nope', location), 'NAMESPACE_NOT_FOUND')
    await expectKvError(deleteNamespace('../x', location), 'NAMESPACE_NAME_INVALID')
  })

  it('a namespace deleted while a handle has it open stays gone, and so do its keys', async () => {
    const location = freshLocation()
    const held = await open('busy', {...location, create: true})
    await held.put('k', 'v')
    await deleteNamespace('busy', location)
    expect(await namespaceExists('busy', location)).toBe(false)
    await expectKvError(open('busy', location), 'NAMESPACE_NOT_FOUND')
    await held.put('k2', 'v2').catch(() => {}) // kept privately (LMDB) or refused (Redis): see the store tests
    await close(held)
    expect(await namespaceExists('busy', location)).toBe(false)
    const again = await open('busy', {...location, create: true})
    expect(await again.list()).toEqual([])
  })
})
