import {describe, expect, it} from 'vitest'

import type {PutRecord} from '../../src/engine/types.js'
import {all} from '../helpers.js'
import {expectBytes, expectKvError, freshNamespace, numberedKeys, open, T0} from './fixture.js'

describe('batch: one transaction, all or nothing', () => {
  it('commits every put and delete together', async () => {
    const {ns} = await freshNamespace()
    await ns.put('old', 'x')
    const result = await ns.batch((batch) => {
      batch.put('a', '1')
      batch.put('b', new Uint8Array([0, 255]), {expiresIn: 60})
      batch.delete('old')
      return 'done'
    })
    expect(result).toBe('done')
    expect(await ns.list()).toEqual(['a', 'b'])
    expectBytes(await ns.get('b', 'bytes'), new Uint8Array([0, 255]))
    expect((await ns.getEntry('b'))?.expiresAt).toBe(T0 + 60_000)
  })

  it('keeps nothing when the body throws after writing, and rethrows its error', async () => {
    const {ns} = await freshNamespace()
    await ns.put('kept', 'before')
    await expect(
      ns.batch((batch) => {
        batch.put('kept', 'after')
        batch.put('new', 'v')
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await ns.list()).toEqual(['kept'])
    expect(await ns.get('kept')).toBe('before')
  })

  it('keeps nothing when a later put is invalid (key too long), and reports that error', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(
      ns.batch((batch) => {
        batch.put('fine', 'v')
        batch.put('k'.repeat(513), 'v')
      }),
      'KEY_TOO_LONG',
    )
    expect(await ns.list()).toEqual([])
  })

  it('an async body that rejects after awaiting keeps nothing either', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(
      ns.batch(async (batch) => {
        batch.put('first', 'v')
        await new Promise((resolve) => setImmediate(resolve))
        batch.put('second', 'v', {expiresIn: -1})
      }),
      'TTL_INVALID',
    )
    expect(await ns.list()).toEqual([])
  })

  it('sees its own writes, and the live state before them', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('gone', 'x', {expiresIn: 1})
    clock.advance(1000)
    const seen = await ns.batch(async (batch) => {
      const before = await batch.getEntry('gone')
      batch.put('gone', 'again')
      return {before, after: await batch.getEntry('gone')}
    })
    expect(seen.before).toBeNull()
    expectBytes(seen.after!.value, new TextEncoder().encode('again'))
  })

  it('a large batch is visible to a second handle only once committed, as a whole', async () => {
    const {ns, location} = await freshNamespace()
    const other = await open('test', location)
    const keys = numberedKeys(20_000)
    let seenMidway: string[] = []
    await ns.batch(async (batch) => {
      for (const key of keys.slice(0, 10_000)) batch.put(key, key)
      seenMidway = await other.list({limit: 10})
      for (const key of keys.slice(10_000)) batch.put(key, key)
    })
    expect(seenMidway).toEqual([])
    // lmdb-js keeps a handle's read snapshot until a 0 ms timer renews it: the other handle sees the commit from then on.
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect((await other.listPage({limit: 100_000})).keys).toHaveLength(20_000)
  })
})

async function* inOneChunk(...records: PutRecord[]): AsyncGenerator<PutRecord[]> {
  yield records
}

describe('put with an absolute expiration (seconds since the epoch)', () => {
  it('stores it to the millisecond, and expiresIn wins when both are given', async () => {
    const {ns} = await freshNamespace()
    await ns.put('abs', 'v', {expiration: T0 / 1000 + 90.5})
    await ns.put('both', 'v', {expiration: T0 / 1000 + 90, expiresIn: 10})
    expect((await ns.getEntry('abs'))?.expiresAt).toBe(T0 + 90_500)
    expect((await ns.getEntry('both'))?.expiresAt).toBe(T0 + 10_000)
  })

  it('a time already past (to the millisecond) is TTL_INVALID and writes nothing, as nonsense is', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('past', 'kept')
    // 1 is 1970 (a TTL passed as an expiration); T0 itself has passed at T0; T0 + 0.4 ms is stored as T0.
    for (const expiration of [1, T0 / 1000 - 1, T0 / 1000, (T0 + 0.4) / 1000]) {
      const error = await expectKvError(ns.put('past', 'v', {expiration}), 'TTL_INVALID')
      expect(error.message).toMatch(/^expiration \S+ \(\S+Z\) has already passed: it is seconds since the epoch; for a time to live use expiresIn$/)
      await expectKvError(ns.batch((batch) => batch.put('past', 'v', {expiration})), 'TTL_INVALID')
      await expectKvError(ns.putAll(inOneChunk({key: 'past', value: 'v', options: {expiration}})), 'TTL_INVALID')
    }
    expect(await ns.get('past')).toBe('kept')
    await ns.put('soon', 'v', {expiration: (T0 + 1) / 1000})
    expect(await ns.get('soon')).toBe('v')
    clock.advance(1)
    expect(await ns.get('soon')).toBeNull()
    for (const expiration of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, T0 / 1000 + 101 * 365 * 86_400]) {
      await expectKvError(ns.put('k', 'v', {expiration}), 'TTL_INVALID')
    }
    expect(await ns.list()).toEqual(['past'])
  })
})

describe('entries: a lazy walk in byte order', () => {
  it('yields live entries with values and expiry times, in byte order, under a prefix', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('b:2', 'two', {expiresIn: 100})
    await ns.put('b:1', new Uint8Array([1, 2, 3]))
    await ns.put('b:3', 'short', {expiresIn: 1})
    await ns.put('c', 'other')
    clock.advance(1000)
    const entries = await all(ns.entries({prefix: 'b:'}))
    expect(entries.map((entry) => [entry.name, entry.expiresAt])).toEqual([
      ['b:1', null],
      ['b:2', T0 + 100_000],
    ])
    expectBytes(entries[0].value, new Uint8Array([1, 2, 3]))
  })

  it('yields every entry however large the values: three of 5 MiB are more than one read of a Redis export', async () => {
    const {ns} = await freshNamespace()
    const big = (fill: number) => new Uint8Array(5 * 1024 * 1024).fill(fill)
    for (const [i, key] of ['a', 'b', 'c'].entries()) await ns.put(key, big(i + 1))
    const walked: [string, number, number][] = []
    for await (const entry of ns.entries()) walked.push([entry.name, entry.value.length, entry.value[entry.value.length - 1]])
    expect(walked).toEqual([
      ['a', 5 * 1024 * 1024, 1],
      ['b', 5 * 1024 * 1024, 2],
      ['c', 5 * 1024 * 1024, 3],
    ])
  })

  it('releases its snapshot when the loop breaks early, so many walks do not exhaust readers', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('b', '2')
    // LMDB has 126 reader slots by default: a leaked snapshot per walk would run out long before 500.
    for (let i = 0; i < 500; i++) {
      for await (const entry of ns.entries()) {
        expect(entry.name).toBe('a')
        break
      }
    }
    expect(await ns.list()).toEqual(['a', 'b'])
  })
})
