// vitest globalSetup: one standalone Redis and one 3-master Redis Cluster for the whole run, stopped at
// teardown. Tests read where they are with `inject('redis')` and `inject('redisCluster')` (import {inject}
// from 'vitest'). They are shared by every test file of the run: keep to keys of your own (a unique hash tag
// or prefix per test), never FLUSHALL, never reconfigure them. A test that needs its own config, a restart
// or a kill -9 starts its own server with startRedis() / startCluster().
//
// Both also have a least-privilege user: the ACL rules the README documents (src/engine/store/redis/acl.ts)
// on the keys starting with "t", the prefixes test/store-under-test.ts hands out. So the contract and CLI
// tests run as a user that may do only what kv says it needs.

import type {TestProject} from 'vitest/node'
import {aclSetUser} from '../../src/engine/store/redis/acl.js'
import {command, startCluster, startRedis, type RedisServer} from './servers.js'

/** The user, and the first letter of every prefix it may use. */
const LEAST_PRIVILEGE = {user: 'kv-test', password: 'kv-test-password', prefix: 't'}

/** `url` as the least-privilege user, after giving that user its rules on every node. */
async function leastPrivilegeUrl(url: string, nodes: readonly RedisServer[], cluster: boolean): Promise<string> {
  const {user, password, prefix} = LEAST_PRIVILEGE
  const [, ...args] = aclSetUser(user, prefix, {cluster, password}).split(' ')
  await Promise.all(nodes.map((node) => command(node, ['ACL', ...args])))
  return url.replace('redis://', `redis://${user}:${password}@`)
}

export interface ProvidedRedis {
  /** redis://127.0.0.1:<port> */
  url: string
  /** The same server as a user with only the permissions kv documents, on keys that start with "t". */
  leastPrivilegeUrl: string
  host: string
  port: number
  /** unix socket of the same server */
  socket: string
  pid: number
}

export interface ProvidedRedisCluster {
  /** redis://127.0.0.1:<port of the first master> */
  url: string
  /** The same Cluster as a user with only the permissions kv documents, on keys that start with "t". */
  leastPrivilegeUrl: string
  /** every master, for a client's startup nodes */
  seeds: {host: string; port: number}[]
  pids: number[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    redis: ProvidedRedis
    redisCluster: ProvidedRedisCluster
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [standalone, cluster] = await Promise.allSettled([startRedis(), startCluster()])
  const stop = async () => {
    await Promise.all([
      standalone.status === 'fulfilled' ? standalone.value.stop() : undefined,
      cluster.status === 'fulfilled' ? cluster.value.stop() : undefined,
    ])
  }
  if (standalone.status === 'rejected' || cluster.status === 'rejected') {
    await stop()
    throw standalone.status === 'rejected' ? standalone.reason : (cluster as PromiseRejectedResult).reason
  }
  const server = standalone.value
  project.provide('redis', {
    url: server.url,
    leastPrivilegeUrl: await leastPrivilegeUrl(server.url, [server], false),
    host: server.host,
    port: server.port,
    socket: server.socket!,
    pid: server.pid,
  })
  project.provide('redisCluster', {
    url: cluster.value.url,
    leastPrivilegeUrl: await leastPrivilegeUrl(cluster.value.url, cluster.value.nodes, true),
    seeds: cluster.value.seeds,
    pids: cluster.value.nodes.map((node) => node.pid),
  })
  return stop
}
