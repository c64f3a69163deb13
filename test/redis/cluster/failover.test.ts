import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {listNamespaces, openNamespace, type Namespace} from '../../../src/index.js'
import {expectOutput, expectQuietSuccess} from '../../cli/cli-assert.js'
import {runKv, tempDir} from '../../helpers.js'
import {command, startCluster, type RedisCluster, type RedisServer} from '../servers.js'

/**
 * A Cluster whose master fails over to its replica: the README promises that any node, or several seed nodes,
 * in the URL find the whole Cluster, so a URL whose first seed is the dead master still works, on the CLI and in
 * the library, and a namespace an app holds open goes on once the replica has taken over.
 */

const PREFIX = 'failover:'
let cluster: RedisCluster

beforeAll(async () => {
  // One replica per master; a short node timeout, so that the replica takes over within about 2 s.
  cluster = await startCluster({replicas: 1, nodeTimeoutMs: 1000})
}, 60_000)
afterAll(async () => {
  await cluster?.stop()
})

const address = (node: RedisServer) => `${node.host}:${node.port}`

/** Namespaces are placed by their random id: create them until one lives on `master`. */
async function namespaceOn(master: RedisServer, store: string): Promise<string> {
  for (let n = 0; n < 40; n++) {
    const name = `ns-${n}`
    const ns = await openNamespace(name, {store, create: true})
    await ns.put('k', `value of ${name}`)
    await ns.close()
    const held = (await command(master, ['KEYS', `${PREFIX}{*}:r:k`])) as string[]
    if (held.length > 0) return name
  }
  throw new Error('no namespace landed on the master to be killed')
}

describe('a Redis Cluster whose first seed node fails over', () => {
  it('the CLI and the library go on through the other seeds, and a namespace held open works again', async () => {
    const [first, second] = cluster.masters
    expect(await cluster.replicasOf(first)).toHaveLength(1)
    const store = `redis://${address(first)},${address(second)}?prefix=${PREFIX}`
    const onFirst = await namespaceOn(first, store)
    const held: Namespace = await openNamespace(onFirst, {store})
    const env = {KV_STORE: store}
    const kv = (args: string[]) => runKv(args, {dataDir: tempDir(), configDir: tempDir(), env})

    await first.kill9()
    await cluster.ready(30_000)

    expectOutput(await kv(['get', 'k', '-n', onFirst]), `value of ${onFirst}`)
    expectQuietSuccess(await kv(['put', 'after', 'failover', '-n', onFirst]))
    expectOutput(await kv(['ns', 'list']), `${(await listNamespaces({store})).join('\n')}\n`)
    const reopened = await openNamespace(onFirst, {store})
    expect(await reopened.get('after')).toBe('failover')
    await reopened.close()
    // The held handle may have failed while the slot had no master; once the replica serves it, it works.
    await expect.poll(() => held.get('after').catch((error: Error) => error.message), {timeout: 15_000}).toBe('failover')
    await held.put('held', 'yes')
    expectOutput(await kv(['get', 'held', '-n', onFirst]), 'yes')
    await held.close()
  })
})
