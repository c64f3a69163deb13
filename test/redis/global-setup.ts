// vitest globalSetup: one standalone Redis and one 3-master Redis Cluster for the whole run, stopped at
// teardown. Tests read where they are with `inject('redis')` and `inject('redisCluster')` (import {inject}
// from 'vitest'). They are shared by every test file of the run: keep to keys of your own (a unique hash tag
// or prefix per test), never FLUSHALL, never reconfigure them. A test that needs its own config, a restart
// or a kill -9 starts its own server with startRedis() / startCluster().

import type {TestProject} from 'vitest/node'
import {startCluster, startRedis} from './servers.js'

export interface ProvidedRedis {
  /** redis://127.0.0.1:<port> */
  url: string
  host: string
  port: number
  /** unix socket of the same server */
  socket: string
  pid: number
}

export interface ProvidedRedisCluster {
  /** redis://127.0.0.1:<port of the first master> */
  url: string
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
  project.provide('redis', {url: server.url, host: server.host, port: server.port, socket: server.socket!, pid: server.pid})
  project.provide('redisCluster', {
    url: cluster.value.url,
    seeds: cluster.value.seeds,
    pids: cluster.value.nodes.map((node) => node.pid),
  })
  return stop
}
