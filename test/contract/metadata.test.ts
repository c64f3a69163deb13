import {describe, expect, it} from 'vitest'

import {MAX_METADATA_BYTES} from '../../src/engine/limits.js'
import {all} from '../helpers.js'
import {expectKvError, freshNamespace, T0} from './fixture.js'

describe('metadata (Workers KV semantics)', () => {
  it('is stored with a put and returned by getWithMetadata, getEntry, listPage and entries', async () => {
    const {ns} = await freshNamespace()
    const metadata = {owner: 'ana', ticket: 'OPS-17', flags: [1, 2, {deep: null}], ünï: 'cödé'}
    await ns.put('flag', 'on', {metadata, expiresIn: 60})
    expect(await ns.getWithMetadata('flag')).toEqual({value: 'on', metadata})
    await ns.put('cfg', '{"a":1}', {metadata: 'json too'})
    expect(await ns.getWithMetadata('cfg', 'json')).toEqual({value: {a: 1}, metadata: 'json too'})
    await ns.delete('cfg')
    expect((await ns.getEntry('flag'))?.metadata).toEqual(metadata)
    expect((await ns.listPage()).keys).toEqual([{name: 'flag', expiresAt: T0 + 60_000, metadata, revision: 1}])
    expect((await all(ns.entries())).map((entry) => entry.metadata)).toEqual([metadata])
  })

  it('is any JSON value; null and undefined mean none', async () => {
    const {ns} = await freshNamespace()
    for (const [key, metadata] of [['string', 'text'], ['number', 42], ['false', false], ['zero', 0], ['array', []], ['object', {}]] as const) {
      await ns.put(key, 'v', {metadata})
      expect((await ns.getWithMetadata(key)).metadata).toEqual(metadata)
    }
    await ns.put('none', 'v', {metadata: null})
    await ns.put('unset', 'v', {metadata: undefined})
    expect((await ns.getWithMetadata('none')).metadata).toBeNull()
    expect((await ns.getWithMetadata('unset')).metadata).toBeNull()
  })

  it('a missing or expired key has neither value nor metadata', async () => {
    const {ns, clock} = await freshNamespace()
    expect(await ns.getWithMetadata('missing')).toEqual({value: null, metadata: null})
    await ns.put('brief', 'v', {metadata: {a: 1}, expiresIn: 1})
    clock.advance(1000)
    expect(await ns.getWithMetadata('brief')).toEqual({value: null, metadata: null})
  })

  it('a put replaces the whole entry: a put without metadata leaves none', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v1', {metadata: {by: 'ci'}})
    await ns.put('k', 'v2')
    expect(await ns.getWithMetadata('k')).toEqual({value: 'v2', metadata: null})
  })

  it('incr keeps the metadata (and the expiration)', async () => {
    const {ns} = await freshNamespace()
    await ns.put('hits', '41', {metadata: {owner: 'web'}, expiresIn: 100})
    expect(await ns.incr('hits')).toBe(42)
    expect(await ns.getEntry('hits')).toMatchObject({metadata: {owner: 'web'}, expiresAt: T0 + 100_000})
  })

  it(`up to ${MAX_METADATA_BYTES} bytes of JSON is fine; more is METADATA_TOO_LARGE and nothing is written`, async () => {
    const {ns} = await freshNamespace()
    // JSON.stringify('x'.repeat(n)) is n + 2 bytes.
    await ns.put('max', 'v', {metadata: 'x'.repeat(MAX_METADATA_BYTES - 2)})
    expect((await ns.getWithMetadata('max')).metadata).toBe('x'.repeat(MAX_METADATA_BYTES - 2))
    const error = await expectKvError(ns.put('over', 'v', {metadata: 'é'.repeat(512)}), 'METADATA_TOO_LARGE')
    expect(error.message).toMatch(/1026 bytes.*limit is 1024 bytes/)
    await expectKvError(ns.put('max', 'changed', {metadata: 'x'.repeat(MAX_METADATA_BYTES - 1)}), 'METADATA_TOO_LARGE')
    expect(await ns.get('max')).toBe('v')
    expect(await ns.list()).toEqual(['max'])
  })

  it('a value JSON cannot hold is METADATA_INVALID, and nothing is written', async () => {
    const {ns} = await freshNamespace()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    for (const metadata of [circular, 10n, () => 1, Symbol('s')]) {
      await expectKvError(ns.put('k', 'v', {metadata}), 'METADATA_INVALID')
    }
    expect(await ns.list()).toEqual([])
  })

  it('survives reopening, and batch puts carry it', async () => {
    const {ns, reopen} = await freshNamespace()
    await ns.batch((batch) => {
      batch.put('a', '1', {metadata: {n: 1}})
      batch.put('b', '2')
    })
    const again = await reopen()
    expect((await again.listPage()).keys.map((key) => key.metadata)).toEqual([{n: 1}, null])
  })
})
