import {describe, expect, it} from 'vitest'

import {RECLAIM_BATCH, RECLAIM_PER_EXPIRING_KEY} from '../../src/engine/namespace.js'
import {manualClock} from '../helpers.js'
import {freshNamespace, numberedKeys, T0} from './fixture.js'


describe('expiry with the injected clock', () => {
  it('a key is alive until just before expiresAt and gone exactly at it: get, list and listPage agree', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('session:abc', 'data', {expiresIn: 3600})
    await ns.put('forever', 'v')

    clock.advance(3_600_000 - 1)
    expect(await ns.get('session:abc')).toBe('data')
    expect(await ns.list()).toEqual(['forever', 'session:abc'])
    expect((await ns.listPage()).keys.map((key) => key.name)).toEqual(['forever', 'session:abc'])
    expect(await ns.getEntry('session:abc')).not.toBeNull()

    clock.advance(1)
    expect(await ns.get('session:abc')).toBeNull()
    expect(await ns.get('session:abc', 'bytes')).toBeNull()
    expect(await ns.get('session:abc', 'json')).toBeNull()
    expect(await ns.getEntry('session:abc')).toBeNull()
    expect(await ns.list()).toEqual(['forever'])
    expect(await ns.list({prefix: 'session:'})).toEqual([])
    expect(await ns.listPage()).toEqual({keys: [{name: 'forever', expiresAt: null, metadata: null, revision: 2}], cursor: null, complete: true})

    clock.advance(365 * 24 * 3_600_000)
    expect(await ns.get('session:abc')).toBeNull()
    expect(await ns.get('forever')).toBe('v')
  })

  it('getEntry reports the absolute expiry time', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v', {expiresIn: 90})
    const entry = await ns.getEntry('k')
    expect(entry?.expiresAt).toBe(T0 + 90_000)
    expect(Buffer.from(entry!.value).toString()).toBe('v')
    await ns.put('n', 'v')
    expect((await ns.getEntry('n'))?.expiresAt).toBeNull()
  })

  it('a fractional TTL is kept to the millisecond, and a tiny one still lives for 1 ms', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('tiny', 'v', {expiresIn: 0.0001})
    await ns.put('half', 'v', {expiresIn: 1.5})
    expect((await ns.listPage()).keys).toEqual([
      {name: 'half', expiresAt: T0 + 1500, metadata: null, revision: 2},
      {name: 'tiny', expiresAt: T0 + 1, metadata: null, revision: 1},
    ])
    expect(await ns.get('tiny')).toBe('v')
    clock.advance(1)
    expect(await ns.get('tiny')).toBeNull()
    clock.advance(1498)
    expect(await ns.get('half')).toBe('v')
    clock.advance(1)
    expect(await ns.get('half')).toBeNull()
  })

  it('an expired key can be put again and is then live', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'old', {expiresIn: 1})
    clock.advance(1000)
    expect(await ns.get('k')).toBeNull()
    await ns.put('k', 'new')
    expect(await ns.get('k')).toBe('new')
    clock.advance(10_000_000)
    expect(await ns.get('k')).toBe('new')
  })

  it('a put without expiresIn removes an existing expiration', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'v1', {expiresIn: 60})
    clock.advance(30_000)
    await ns.put('k', 'v2')
    expect((await ns.listPage()).keys).toEqual([{name: 'k', expiresAt: null, metadata: null, revision: 2}])

    clock.advance(1000 * 60 * 60 * 24 * 365)
    expect(await ns.get('k')).toBe('v2')
    // Writes and a purge far past the old expiry do not reclaim it either.
    await ns.put('other', 'x')
    await ns.delete('other')
    expect(await ns.purgeExpired()).toBe(0)
    expect(await ns.get('k')).toBe('v2')
    expect(await ns.list()).toEqual(['k'])
  })

  it('a put with a shorter TTL replaces a longer one (the key now expires earlier)', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    await ns.put('k', 'v1', {expiresIn: 100})
    await ns.put('k', 'v2', {expiresIn: 10})
    expect((await ns.listPage()).keys).toEqual([{name: 'k', expiresAt: T0 + 10_000, metadata: null, revision: 2}])
    clock.advance(9_999)
    expect(await ns.get('k')).toBe('v2')
    clock.advance(1)
    expect(await ns.get('k')).toBeNull()
    expect(await ns.purgeExpired()).toBe(1)
    // Nothing is left behind from the first TTL to reclaim later.
    clock.advance(100_000)
    expect(await ns.purgeExpired()).toBe(0)
  })

  it('a put with a longer TTL replaces a shorter one, and the old expiry reclaims nothing', async () => {
    const {ns, clock, reopen} = await freshNamespace()
    await ns.put('k', 'v1', {expiresIn: 10})
    await ns.put('k', 'v2', {expiresIn: 100})
    expect((await ns.listPage()).keys).toEqual([{name: 'k', expiresAt: T0 + 100_000, metadata: null, revision: 2}])

    clock.advance(50_000)
    expect(await ns.get('k')).toBe('v2')
    // Past the old expiry: a write reclaims whatever is due; the key must not be among it.
    await ns.put('trigger', 'x')
    expect(await ns.purgeExpired()).toBe(0)
    expect(await ns.get('k')).toBe('v2')

    const again = await reopen()
    expect(await again.get('k')).toBe('v2')
    clock.advance(50_000 - 1)
    expect(await again.get('k')).toBe('v2')
    clock.advance(1)
    expect(await again.get('k')).toBeNull()
  })

  it('a TTL refreshed from a later time counts from that time', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'v', {expiresIn: 60})
    clock.advance(45_000)
    await ns.put('k', 'v', {expiresIn: 60})
    expect((await ns.listPage()).keys[0].expiresAt).toBe(T0 + 45_000 + 60_000)
    clock.advance(59_999)
    expect(await ns.get('k')).toBe('v')
    clock.advance(1)
    expect(await ns.get('k')).toBeNull()
  })

  it('delete removes a key with an expiry, and leaves nothing to reclaim', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('k', 'v', {expiresIn: 10})
    await ns.delete('k')
    expect(await ns.get('k')).toBeNull()
    clock.advance(10_000)
    expect(await ns.purgeExpired()).toBe(0)
  })

  it('expiresAt is absolute: reopening the namespace keeps the same expiry time', async () => {
    const {ns, clock, reopen} = await freshNamespace()
    const putAt = clock()
    await ns.put('k', 'v', {expiresIn: 3600})
    clock.advance(1_000_000)

    const again = await reopen()
    expect((await again.listPage()).keys).toEqual([{name: 'k', expiresAt: putAt + 3600 * 1000, metadata: null, revision: 1}])
    expect((await again.getEntry('k'))?.expiresAt).toBe(putAt + 3_600_000)

    clock.set(putAt + 3_600_000 - 1)
    expect(await again.get('k')).toBe('v')
    clock.set(putAt + 3_600_000)
    expect(await again.get('k')).toBeNull()
  })

  it('each namespace object reads the clock it was opened with', async () => {
    const {ns, reopen} = await freshNamespace()
    await ns.put('k', 'v', {expiresIn: 60})
    const later = manualClock(T0 + 60_000)
    const again = await reopen(later)
    expect(await again.get('k')).toBeNull()
    later.set(T0 + 59_999)
    expect(await again.get('k')).toBe('v')
  })
})

/**
 * How expired keys are physically removed. A namespace that keeps history keeps them while its oldest revision
 * may still need them (history.test.ts): these are namespaces without history, where only expiry decides.
 */
describe('physical reclamation', () => {
  it('a put with an expiry reclaims two expired keys, oldest first', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    const keys = numberedKeys(100)
    await Promise.all(keys.map((key) => ns.put(key, 'v', {expiresIn: 10})))
    clock.advance(10_000)
    await ns.put('trigger', 'x', {expiresIn: 60})
    expect(await ns.list({prefix: 'k'})).toEqual([])
    expect(await ns.stats()).toMatchObject({keys: 1, expired: 100 - RECLAIM_PER_EXPIRING_KEY})

    // Set the clock back before the expiry: reclaimed keys stay gone, the rest reappear.
    const past = await reopen(manualClock(T0))
    expect(await past.list({prefix: 'k'})).toEqual(keys.slice(RECLAIM_PER_EXPIRING_KEY))
    expect(await past.get(keys[RECLAIM_PER_EXPIRING_KEY - 1])).toBeNull()
    expect(await past.get(keys[RECLAIM_PER_EXPIRING_KEY])).toBe('v')
    expect(await past.get('trigger')).toBe('x')
  })

  it('writes that store no expiring key reclaim nothing, however many expired keys wait', async () => {
    // Each expired key sits on pages of its own: reclaiming it is work for the writes that make expiring keys.
    const {ns, clock} = await freshNamespace('test', {history: false})
    await Promise.all(numberedKeys(100).map((key) => ns.put(key, 'v', {expiresIn: 10})))
    clock.advance(10_000)
    await ns.put('plain', 'x')
    await ns.delete('plain')
    await ns.deleteMany(['k00001', 'missing']) // removes that expired key itself, and no other
    await ns.deletePrefix('nothing-here')
    await ns.batch((batch) => batch.put('batched', 'x'))
    await ns.incr('counter')
    expect(await ns.stats()).toMatchObject({keys: 2, expired: 99})
  })

  it('a batch reclaims two expired keys for each expiring key it stores, whether by expiresIn or expiration', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    await Promise.all(numberedKeys(100).map((key) => ns.put(key, 'v', {expiresIn: 10})))
    clock.advance(10_000)
    await ns.batch((batch) => {
      batch.put('a', 'v', {expiresIn: 60})
      batch.put('b', 'v')
      batch.put('c', 'v', {expiration: (T0 + 60_000) / 1000})
    })
    // 2 expiring puts reclaim up to 4 of the 100 expired keys.
    expect(await ns.stats()).toMatchObject({keys: 3, expired: 100 - 2 * RECLAIM_PER_EXPIRING_KEY})
  })

  it('an incr of a counter with an expiry reclaims like a put with one', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    await Promise.all(numberedKeys(10).map((key) => ns.put(key, 'v', {expiresIn: 10})))
    clock.advance(10_000)
    await ns.incr('rate', {expiresIn: 60})
    await ns.incr('rate', {expiresIn: 60}) // keeps the counter's expiry: still an expiring key written
    expect(await ns.stats()).toMatchObject({keys: 1, expired: 10 - 2 * RECLAIM_PER_EXPIRING_KEY})
  })

  it(`a write transaction reclaims at most ${RECLAIM_BATCH.toLocaleString('en')} expired keys`, async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    const count = RECLAIM_BATCH + 500
    await ns.batch((batch) => {
      for (const key of numberedKeys(count)) batch.put(key, 'v', {expiresIn: 10})
    })
    clock.advance(10_000)
    await ns.batch((batch) => {
      for (const key of numberedKeys(count)) batch.put(`new:${key}`, 'v', {expiresIn: 60})
    })
    expect((await ns.stats()).expired).toBe(count - RECLAIM_BATCH)
  })

  it('reclaims by expiry time, not by key order', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    // "z…" keys expire first although they sort last.
    await ns.put('a-late', 'v', {expiresIn: 20})
    await ns.put('z-early', 'v', {expiresIn: 10})
    clock.advance(10_000)
    await ns.put('trigger', 'x', {expiresIn: 60})
    const past = await reopen(manualClock(T0))
    expect(await past.list()).toEqual(['a-late', 'trigger'])
  })


  it('reads and lists do not reclaim anything', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    await ns.put('expiring', 'v', {expiresIn: 5})
    clock.advance(5_000)
    expect(await ns.get('expiring')).toBeNull()
    expect(await ns.list()).toEqual([])
    expect(await ns.listPage()).toEqual({keys: [], cursor: null, complete: true})
    const past = await reopen(manualClock(T0))
    expect(await past.get('expiring')).toBe('v')
  })

  it('keys that are not yet expired are not reclaimed by a write', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    await ns.put('soon', 'v', {expiresIn: 5})
    await ns.put('later', 'v', {expiresIn: 50})
    clock.advance(5_000 - 1)
    await ns.put('trigger', 'x', {expiresIn: 60})
    const past = await reopen(manualClock(T0))
    expect(await past.list()).toEqual(['later', 'soon', 'trigger'])
  })

  it('purgeExpired removes every expired key and returns the count', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    const keys = numberedKeys(2500)
    await Promise.all(keys.map((key, i) => ns.put(key, 'v', {expiresIn: 10 + (i % 7)})))
    clock.advance(20_000)
    expect(await ns.list()).toEqual([])
    expect(await ns.purgeExpired()).toBe(2500)
    expect(await ns.purgeExpired()).toBe(0)

    const past = await reopen(manualClock(T0))
    expect(await past.list({limit: 100_000})).toEqual([])
  })

  it('purgeExpired counts only what it removed itself (after a write reclaimed some)', async () => {
    const {ns, clock} = await freshNamespace('test', {history: false})
    await Promise.all(numberedKeys(100).map((key) => ns.put(key, 'v', {expiresIn: 1})))
    clock.advance(1000)
    await ns.put('trigger', 'x', {expiresIn: 60})
    expect(await ns.purgeExpired()).toBe(100 - RECLAIM_PER_EXPIRING_KEY)
  })

  it('purgeExpired leaves live keys, their values and their expiry times alone', async () => {
    const {ns, clock, reopen} = await freshNamespace('test', {history: false})
    await ns.put('expired:1', 'v', {expiresIn: 10})
    await ns.put('expired:2', 'v', {expiresIn: 20})
    await ns.put('live:forever', 'forever')
    await ns.put('live:later', 'later', {expiresIn: 31})
    await ns.put('live:bytes', new Uint8Array([0, 255]), {expiresIn: 3600})
    clock.advance(30_000)
    const before = await ns.listPage()
    expect(before.keys.map((key) => key.name)).toEqual(['live:bytes', 'live:forever', 'live:later'])

    expect(await ns.purgeExpired()).toBe(2)
    expect(await ns.listPage()).toEqual(before)
    expect(await ns.get('live:forever')).toBe('forever')
    expect(await ns.get('live:later')).toBe('later')
    expect([...(await ns.get('live:bytes', 'bytes'))!]).toEqual([0, 255])

    const past = await reopen(manualClock(T0))
    expect(await past.list()).toEqual(['live:bytes', 'live:forever', 'live:later'])
  })

  it('purgeExpired on an empty namespace returns 0', async () => {
    const {ns} = await freshNamespace('test', {history: false})
    expect(await ns.purgeExpired()).toBe(0)
  })
})
