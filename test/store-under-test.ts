import {inject} from 'vitest'

import type {} from './redis/global-setup.js'

import type {LocationOptions} from '../src/index.js'
import type {RedisClientLike} from '../src/engine/store/location.js'
import {tempDir} from './helpers.js'

/**
 * Which store the tests of this run exercise: vitest.config.ts runs the contract tests (and the CLI tests
 * that are not about local files) once per store, each project with its own KV_TEST_STORE; the Redis
 * projects get their servers from test/redis/global-setup.ts. The contract tests also run through an ioredis
 * client or Cluster the app hands over (`{store: client}`): redis-client and cluster-client, whose servers
 * and client test/redis/app-client-setup.ts makes.
 */
export type TestStore = 'lmdb' | 'redis' | 'cluster' | 'redis-client' | 'cluster-client'

const TEST_STORES: readonly TestStore[] = ['lmdb', 'redis', 'cluster', 'redis-client', 'cluster-client']

export const TEST_STORE: TestStore = parseTestStore(process.env.KV_TEST_STORE)

function parseTestStore(value: string | undefined): TestStore {
  if (value === undefined) return 'lmdb'
  if ((TEST_STORES as readonly string[]).includes(value)) return value as TestStore
  throw new Error(`KV_TEST_STORE=${value}: use ${TEST_STORES.join(', ')}`)
}

let appClient: RedisClientLike | undefined

/** The client the app hands over, on the redis-client and cluster-client runs (set by app-client-setup.ts). */
export function useAppClient(client: RedisClientLike | undefined): void {
  appClient = client
}

let places = 0

/**
 * A fresh, private place to keep namespaces in, on the store under test: a temporary data dir, or a key
 * prefix of its own on the run's shared Redis server or Cluster (so tests never see each other's keys), used
 * as the least-privilege user (test/redis/global-setup.ts), whose keys start with "t".
 */
export function freshLocation(): LocationOptions & {dataDir: string} {
  const dataDir = tempDir()
  if (TEST_STORE === 'lmdb') return {dataDir}
  // kv keeps its keys under "kv:" on an app's client (no prefix to choose): app-client-setup.ts empties the
  // servers after each test instead.
  if (TEST_STORE === 'redis-client' || TEST_STORE === 'cluster-client') {
    if (appClient === undefined) throw new Error(`KV_TEST_STORE=${TEST_STORE} needs test/redis/app-client-setup.ts as a setup file`)
    return {dataDir, store: appClient}
  }
  const server = TEST_STORE === 'redis' ? inject('redis') : inject('redisCluster')
  return {dataDir, store: `${server.leastPrivilegeUrl}?prefix=t${process.pid}-${++places}-${Date.now().toString(36)}:`}
}

/** The environment that points a kv process at a fresh place on the store under test. */
export function freshStoreEnv(): {KV_DATA_DIR: string; KV_STORE?: string} {
  const {dataDir, store} = freshLocation()
  return typeof store === 'string' ? {KV_DATA_DIR: dataDir, KV_STORE: store} : {KV_DATA_DIR: dataDir}
}
