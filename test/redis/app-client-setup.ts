// A vitest setup file for the redis-client and cluster-client runs: the contract tests through an ioredis
// client or Cluster that the app hands over (`openNamespace(name, {store: client})`, kv's adopt()). kv keeps
// its keys under "kv:" there, with no prefix to choose, so each test file gets a server (or a 3-master
// Cluster) of its own, emptied after each test; and after each test kv must have left the app's client open.

import {Cluster, Redis} from 'ioredis'
import {afterAll, afterEach, beforeAll, expect} from 'vitest'

import {TEST_STORE, useAppClient} from '../store-under-test.js'
import {command, startCluster, startRedis, type RedisServer} from './servers.js'

let masters: RedisServer[] = []
let stop: () => Promise<void> = async () => {}
let client: Redis | Cluster | undefined

beforeAll(async () => {
  if (TEST_STORE === 'redis-client') {
    const server = await startRedis()
    masters = [server]
    stop = () => server.stop()
    client = new Redis({host: server.host, port: server.port})
  } else {
    const cluster = await startCluster()
    masters = cluster.nodes
    stop = () => cluster.stop()
    client = new Cluster(cluster.seeds)
  }
  await new Promise((resolve, reject) => client!.once('ready', resolve).once('error', reject))
  useAppClient(client)
}, 60_000)

// Runs after the test file's own hooks (fixture.ts closes its namespaces there).
afterEach(async () => {
  expect(client!.status, 'kv left the app\'s client open').toBe('ready')
  expect(await client!.ping()).toBe('PONG')
  await Promise.all(masters.map((node) => command(node, ['FLUSHALL'])))
})

afterAll(async () => {
  useAppClient(undefined)
  client?.disconnect()
  await stop()
})
