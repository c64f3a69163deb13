import type {Cluster, Redis} from 'ioredis'
import {describe, expect, it} from 'vitest'

import {createNamespace, deleteNamespace, listNamespaces, openNamespace} from '../../src/index.js'
import {expectKvError} from '../contract/fixture.js'
import {freshLocation} from '../store-under-test.js'

/**
 * An ioredis client or Cluster the app hands over (`{store: client}`), on the redis-client and cluster-client
 * runs (test/redis/app-client-setup.ts, which also runs the whole contract through it): kv refuses a server
 * that may evict its keys as it does for a URL, and never closes the app's client.
 */

function appClient(): Redis | Cluster {
  return freshLocation().store as unknown as Redis | Cluster
}

/** Every master the app's client talks to. */
function masters(client: Redis | Cluster): Redis[] {
  return 'nodes' in client && typeof client.nodes === 'function' && (client as Cluster).isCluster ? (client as Cluster).nodes('master') : [client as Redis]
}

describe('a client the app hands over', () => {
  it('is left open: after close, after a missing namespace, a delete, a list', async () => {
    const client = appClient()
    const ns = await openNamespace('app', {store: client, create: true})
    await ns.put('k', 'v')
    await ns.close()
    await expectKvError(openNamespace('missing', {store: client}), 'NAMESPACE_NOT_FOUND')
    await createNamespace('other', {store: client})
    expect(await listNamespaces({store: client})).toEqual(['app', 'other'])
    await deleteNamespace('other', {store: client})
    expect(client.status).toBe('ready')
    const again = await openNamespace('app', {store: client})
    expect(await again.get('k')).toBe('v')
    await again.close()
    expect(await client.ping()).toBe('PONG')
  })

  it('to a server that may evict kv\'s keys is refused, naming maxmemory-policy, and stays open', async () => {
    const client = appClient()
    await Promise.all(masters(client).map((node) => node.config('SET', 'maxmemory-policy', 'allkeys-lru')))
    try {
      const error = await expectKvError(openNamespace('app', {store: client, create: true}), 'STORAGE_FAILURE')
      expect(error.message).toBe(
        "the Redis server at the Redis client the app passed has maxmemory-policy allkeys-lru, which can evict kv's keys and lose data silently: set maxmemory-policy noeviction",
      )
    } finally {
      await Promise.all(masters(client).map((node) => node.config('SET', 'maxmemory-policy', 'noeviction')))
    }
    expect(await listNamespaces({store: client})).toEqual([])
    expect(await client.ping()).toBe('PONG')
  })
})
