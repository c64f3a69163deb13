import {describe, expect, inject, it} from 'vitest'

import {openNamespace} from '../../../src/index.js'
import {concurrentWritersAndReaders, INCREMENTERS, READERS, WRITERS} from '../../reliability/concurrency-scenario.js'
import {command} from '../servers.js'

/** What only a real Cluster shows: where a namespace's keys live, and racing processes across its nodes. */

describe('a namespace on a Redis Cluster', () => {
  it('keeps every key of a namespace in one slot (so on one node), and other namespaces elsewhere', async () => {
    const cluster = inject('redisCluster')
    const prefix = `slots-${process.pid}:`
    const store = `${cluster.url}?prefix=${prefix}`
    const slotsOf = new Map<string, Set<number>>()
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
      const ns = await openNamespace(name, {store, create: true})
      await ns.put('a', '1')
      await ns.put('b', '2', {expiresIn: 60})
      await ns.close()
    }
    // Every key, on whichever node holds it.
    for (const seed of cluster.seeds) {
      for (const key of (await command(seed, ['KEYS', `${prefix}*`])) as string[]) {
        const tag = key.slice(prefix.length, key.indexOf('}') + 1)
        const slot = (await command(seed, ['CLUSTER', 'KEYSLOT', key])) as number
        if (!slotsOf.has(tag)) slotsOf.set(tag, new Set())
        slotsOf.get(tag)!.add(slot)
      }
    }
    // The registry and four namespaces, each in exactly one slot.
    expect(slotsOf.size).toBe(5)
    for (const slots of slotsOf.values()) expect(slots.size).toBe(1)
  })

  it('a URL naming any one node finds the whole Cluster, and so do several seed nodes', async () => {
    const cluster = inject('redisCluster')
    const prefix = `seeds-${process.pid}:`
    const [first, second, third] = cluster.seeds
    const viaThird = await openNamespace('n', {store: `redis://${third.host}:${third.port}?prefix=${prefix}`, create: true})
    await viaThird.put('k', 'v')
    await viaThird.close()
    const viaSeeds = await openNamespace('n', {store: `redis://${first.host}:${first.port},${second.host}:${second.port}?prefix=${prefix}`})
    expect(await viaSeeds.get('k')).toBe('v')
    await viaSeeds.close()
  })

  it(`${WRITERS} writers, ${INCREMENTERS} incrementers and ${READERS} readers at once: no lost write, no error, no torn value`, async () => {
    const store = `${inject('redisCluster').url}?prefix=concurrency-${process.pid}:`
    console.log(`concurrency on a Redis Cluster: ${await concurrentWritersAndReaders({store})}`)
  }, 300_000)
})
