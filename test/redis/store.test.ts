import {describe, expect, inject, it} from 'vitest'

import {createNamespace, deleteNamespace, KvError, listNamespaces, openNamespace} from '../../src/index.js'
import {encodeRecord} from '../../src/engine/store/record.js'
import {close, expectKvError, freshNamespace, numberedKeys, open} from '../contract/fixture.js'
import {all} from '../helpers.js'
import {Redis} from 'ioredis'

import {command, pipeline} from './servers.js'

/** What the Redis store does beyond the contract (test/contract/), as the README states it. */

let prefixes = 0
/** A store URL with a prefix of its own on the run's server, and that prefix. */
function place(): {store: string; prefix: string} {
  const prefix = `rs${process.pid}-${++prefixes}:`
  return {store: `${inject('redis').url}?prefix=${prefix}`, prefix}
}

const server = () => inject('redis')

async function keysUnder(prefix: string): Promise<string[]> {
  return ((await command(server(), ['KEYS', `${prefix}*`])) as string[]).sort()
}

describe('the Redis store: what lives on the server', () => {
  it('keeps a namespace under one hash tag: a registry entry, meta, the two indexes and one record per key', async () => {
    const {store, prefix} = place()
    const ns = await open('flags', {store, create: true})
    await ns.put('beta', 'on')
    await ns.put('session', 'x', {expiresIn: 60})
    const keys = await keysUnder(prefix)
    const tag = /\{([a-z0-9]+)\}:meta/.exec(keys.join(' '))![1]
    expect(keys).toEqual(
      [
        `${prefix}{registry}:namespaces`,
        `${prefix}{${tag}}:exp`,
        `${prefix}{${tag}}:keys`,
        `${prefix}{${tag}}:meta`,
        `${prefix}{${tag}}:r:beta`,
        `${prefix}{${tag}}:r:session`,
        // The change log: one record per revision.
        `${prefix}{${tag}}:log:1`,
        `${prefix}{${tag}}:log:2`,
      ].sort(),
    )
    // The first {...} of every key of the namespace is its tag: a Cluster hashes only that, so all of them
    // share one slot and multi-key scripts are legal there (test/redis/cluster/ checks it on a real one).
    for (const key of keys.filter((key) => !key.includes('{registry}'))) expect(key.slice(prefix.length, key.indexOf('}') + 1)).toBe(`{${tag}}`)
    expect(await command(server(), ['HGET', `${prefix}{${tag}}:meta`, 'format'])).toBe('3')
  })

  it('never lists, changes or deletes keys that are not its own, even ones that look like its layout', async () => {
    const {store, prefix} = place()
    const foreign = [['other:key', 'theirs'], [`x${prefix}{registry}:namespaces`, 'not ours'], ['session:abc', 'an app key']]
    await pipeline(server(), foreign.map(([key, value]) => ['SET', key, value]))
    const ns = await open('app', {store, create: true})
    await ns.put('session:abc', 'ours')
    await ns.deletePrefix('')
    await ns.purgeExpired()
    await close(ns)
    await deleteNamespace('app', {store})
    expect(await listNamespaces({store})).toEqual([])
    for (const [key, value] of foreign) expect(await command(server(), ['GET', key])).toBe(value)
    await pipeline(server(), foreign.map(([key]) => ['DEL', key]))
  })

  it('ns delete makes the namespace disappear at once, then frees every key it had', async () => {
    const {store, prefix} = place()
    const ns = await open('big', {store, create: true})
    await ns.batch((batch) => {
      for (const [i, key] of numberedKeys(5000).entries()) batch.put(key, 'v', i % 2 ? {expiresIn: 60} : undefined)
    })
    await close(ns)
    await deleteNamespace('big', {store})
    const left = (await keysUnder(prefix)).filter((key) => !key.startsWith(`${prefix}{registry}`))
    expect(left).toEqual([])
    expect(await command(server(), ['SCARD', `${prefix}{registry}:trash`])).toBe(0)
  })

  it('a handle open during the delete fails its next write with NAMESPACE_NOT_FOUND and writes nothing', async () => {
    const {store, prefix} = place()
    const held = await open('busy', {store, create: true})
    await held.put('k', 'v')
    await deleteNamespace('busy', {store})
    await expectKvError(held.put('k2', 'v2'), 'NAMESPACE_NOT_FOUND')
    await expectKvError(held.incr('n'), 'NAMESPACE_NOT_FOUND')
    await expectKvError(held.deletePrefix(''), 'NAMESPACE_NOT_FOUND')
    expect((await keysUnder(prefix)).filter((key) => !key.startsWith(`${prefix}{registry}`))).toEqual([])
  })

  it('a delete that died half-way is finished by the next one', async () => {
    const {store, prefix} = place()
    const ns = await open('half', {store, create: true})
    await ns.put('a', '1')
    await close(ns)
    // What a delete leaves when it dies right after taking the name away: the id queued in the trash.
    const id = (await command(server(), ['HGET', `${prefix}{registry}:namespaces`, 'half'])) as string
    await pipeline(server(), [
      ['HDEL', `${prefix}{registry}:namespaces`, 'half'],
      ['SADD', `${prefix}{registry}:trash`, id],
    ])
    await createNamespace('other', {store})
    await deleteNamespace('other', {store})
    expect((await keysUnder(prefix)).filter((key) => !key.startsWith(`${prefix}{registry}`))).toEqual([])
  })

  it('reports no size on disk', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v')
    expect((await ns.stats()).bytesOnDisk).toBeNull()
  })

  it('entries reads page by page: a key written behind the walk is not seen, one ahead of it is', async () => {
    const {ns} = await freshNamespace()
    await ns.batch((batch) => {
      for (const key of numberedKeys(1000)) batch.put(key, 'original')
    })
    const walked: string[] = []
    for await (const entry of ns.entries()) {
      if (walked.length === 10) {
        await ns.put('k00000', 'changed')
        await ns.put('zzz-new', 'v')
      }
      walked.push(entry.name)
    }
    expect(walked).toHaveLength(1001)
    expect(walked.at(-1)).toBe('zzz-new')
  })

  it('refuses a namespace stored in a newer format, naming it', async () => {
    const {store, prefix} = place()
    await createNamespace('future', {store})
    const id = (await command(server(), ['HGET', `${prefix}{registry}:namespaces`, 'future'])) as string
    await command(server(), ['HSET', `${prefix}{${id}}:meta`, 'format', '4'])
    const error = await expectKvError(openNamespace('future', {store}), 'STORAGE_FAILURE')
    expect(error.message).toBe('namespace "future" is stored in format 4, newer than this kv understands (3): upgrade kv to use it')
  })
})

describe('the Redis store: an import whose commit began finishes when the namespace is next opened', () => {
  it('rolls the staged chunks forward, in order, and clears the mark', async () => {
    const {store, prefix} = place()
    await createNamespace('target', {store})
    const id = (await command(server(), ['HGET', `${prefix}{registry}:namespaces`, 'target'])) as string
    const tag = `${prefix}{${id}}`
    // What an importer leaves when it is killed after its commit began and one chunk was applied: chunk 0
    // is gone (applied), chunks 1 and 2 are still staged, and the meta hash says which import it is.
    const record = (value: string) => Buffer.from(encodeRecord({value: Buffer.from(value), expiresAt: null, metadata: null}, 0))
    // Records are bytes: sent with ioredis, which passes Buffers through unchanged.
    const redis = new Redis(server().url)
    try {
      await redis.hset(`${tag}:meta`, 'committing', 'imp1:3')
      await redis.rpush(`${tag}:stage:imp1:1`, 'a', record('from chunk 1'), '', 'b', record('b1'), '')
      await redis.rpush(`${tag}:stage:imp1:2`, 'b', record('b2, later wins'), '', 'c', '', '')
    } finally {
      redis.disconnect()
    }
    const ns = await open('target', {store})
    expect(await ns.get(['a', 'b', 'c'])).toEqual(
      new Map([
        ['a', 'from chunk 1'],
        ['b', 'b2, later wins'],
        ['c', null],
      ]),
    )
    expect(await command(server(), ['HGET', `${tag}:meta`, 'committing'])).toBeNull()
    expect(await keysUnder(`${tag}:stage`)).toEqual([])
    expect((await all(ns.entries())).map((entry) => entry.name)).toEqual(['a', 'b'])
  })

  it('staged chunks of an import that never committed expire by themselves and are never seen', async () => {
    const {store, prefix} = place()
    const ns = await open('target', {store, create: true})
    let ttls: number[] = []
    const failing = async function* () {
      for (let chunk = 0; chunk < 3; chunk++) yield Array.from({length: 1000}, (_, i) => ({key: `k${chunk}-${i}`, value: 'v'}))
      // Staged so far: each chunk expires by itself within the hour, should this process die now.
      const staged = (await keysUnder(`${prefix}{`)).filter((key) => key.includes(':stage:'))
      ttls = (await pipeline(server(), staged.map((key) => ['PTTL', key]))) as number[]
      throw new Error('input went away')
    }
    await expect(ns.putAll(failing())).rejects.toThrow('input went away')
    expect(ttls.length).toBeGreaterThanOrEqual(2)
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(3_500_000)
    for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(3_600_000)
    // Once the import gave up it dropped them at once.
    expect((await keysUnder(`${prefix}{`)).filter((key) => key.includes(':stage:'))).toEqual([])
    expect(await ns.list()).toEqual([])
  })
})

describe('the Redis store: an import whose staged chunk vanished before its commit', () => {
  for (const [how, vanish] of [
    ['was removed', (key: string) => ['DEL', key]],
    ['expired', (key: string) => ['PEXPIREAT', key, 1]],
  ] as const) {
    it(`(it ${how}) rejects and imports nothing`, async () => {
      const {store, prefix} = place()
      const ns = await open('target', {store, create: true})
      await ns.put('before', 'kept')
      const keysBefore = await keysUnder(prefix)
      const input = async function* () {
        for (let chunk = 0; chunk < 3; chunk++) yield Array.from({length: 1000}, (_, i) => ({key: `k${chunk}-${i}`, value: 'v'}))
        // Everything is staged but the last records; then the first chunk goes, before the commit.
        const [first] = (await keysUnder(`${prefix}{`)).filter((key) => key.includes(':stage:')).sort()
        expect(first).toBeDefined()
        await command(server(), vanish(first))
        yield [{key: 'last', value: 'v'}]
      }
      await expect(ns.putAll(input())).rejects.toBeInstanceOf(KvError)
      expect(await ns.list()).toEqual(['before'])
      expect(await ns.get('before')).toBe('kept')
      expect(await keysUnder(prefix)).toEqual(keysBefore)
    })
  }
})

describe('the Redis store: creating a namespace leaves a whole namespace or nothing', () => {
  it('a create whose second step the server refuses leaves nothing behind', async () => {
    const {store, prefix} = place()
    // A registry that is not a hash: registering the name fails after the meta hash was written.
    await command(server(), ['SET', `${prefix}{registry}:namespaces`, 'not a hash'])
    await expectKvError(createNamespace('half', {store}), 'STORAGE_FAILURE')
    expect(await keysUnder(prefix)).toEqual([`${prefix}{registry}:namespaces`])
  })

  it('the meta hash expires until the name is registered, and is permanent after', async () => {
    const {store, prefix} = place()
    await createNamespace('whole', {store})
    const id = (await command(server(), ['HGET', `${prefix}{registry}:namespaces`, 'whole'])) as string
    expect(await command(server(), ['PTTL', `${prefix}{${id}}:meta`])).toBe(-1)
  })

  it('a create killed after registering the name (meta expiring, or expired) is completed by the next open', async () => {
    const {store, prefix} = place()
    const registry = `${prefix}{registry}:namespaces`
    await pipeline(server(), [
      ['HSET', registry, 'expiring', 'id1', 'gone', 'id2'],
      ['HSET', `${prefix}{id1}:meta`, 'name', 'expiring', 'format', '2', 'created', '1'],
      ['PEXPIRE', `${prefix}{id1}:meta`, 600_000],
    ])
    for (const [name, id] of [['expiring', 'id1'], ['gone', 'id2']]) {
      const ns = await open(name, {store})
      await ns.put('k', name)
      expect(await ns.get('k')).toBe(name)
      expect(await command(server(), ['PTTL', `${prefix}{${id}}:meta`])).toBe(-1)
      expect(await command(server(), ['HGET', `${prefix}{${id}}:meta`, 'format'])).toBe('3')
    }
    expect(await listNamespaces({store})).toEqual(['expiring', 'gone'])
  })
})
