import {inject} from 'vitest'

import type {} from './redis/global-setup.js'

import type {LocationOptions} from '../src/index.js'
import {tempDir} from './helpers.js'

/**
 * Which store the tests of this run exercise: vitest.config.ts runs the contract tests (and the CLI tests
 * that are not about local files) once per store, each project with its own KV_TEST_STORE; the Redis
 * projects get their servers from test/redis/global-setup.ts.
 */
export type TestStore = 'lmdb' | 'redis' | 'cluster'

export const TEST_STORE: TestStore = parseTestStore(process.env.KV_TEST_STORE)

function parseTestStore(value: string | undefined): TestStore {
  if (value === undefined || value === 'lmdb' || value === 'redis' || value === 'cluster') return value ?? 'lmdb'
  throw new Error(`KV_TEST_STORE=${value}: use lmdb, redis or cluster`)
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
  const server = TEST_STORE === 'redis' ? inject('redis') : inject('redisCluster')
  return {dataDir, store: `${server.leastPrivilegeUrl}?prefix=t${process.pid}-${++places}-${Date.now().toString(36)}:`}
}

/** The environment that points a kv process at a fresh place on the store under test. */
export function freshStoreEnv(): {KV_DATA_DIR: string; KV_STORE?: string} {
  const {dataDir, store} = freshLocation()
  return typeof store === 'string' ? {KV_DATA_DIR: dataDir, KV_STORE: store} : {KV_DATA_DIR: dataDir}
}
