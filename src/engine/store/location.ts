import {KvError} from '../errors.js'
import {parseRedisUrl, type RedisTarget} from './redis/url.js'

/**
 * What an app may hand over instead of a URL: an ioredis `Redis` or `Cluster` it already holds. Typed
 * loosely so the library's types do not depend on ioredis; kv checks it at run time and never closes it.
 */
export interface RedisClientLike {
  sendCommand: (...args: never[]) => unknown
}

export type StoreLocation =
  | {kind: 'lmdb'}
  | {kind: 'redis'; target: RedisTarget; url: string}
  | {kind: 'redis-client'; client: RedisClientLike; description: string}

/** "local" for the LMDB data dir, a Redis URL, or an ioredis client; anything else is STORE_URL_INVALID. */
export function parseStoreLocation(store: string | RedisClientLike): StoreLocation {
  if (typeof store !== 'string') {
    if (typeof store === 'object' && store !== null && typeof (store as RedisClientLike).sendCommand === 'function') {
      return {kind: 'redis-client', client: store, description: 'the Redis client the app passed'}
    }
    throw new KvError('STORE_URL_INVALID', 'store must be "local", a redis:// URL or an ioredis client')
  }
  if (store === 'local') return {kind: 'lmdb'}
  return {kind: 'redis', target: parseRedisUrl(store), url: store}
}

/** How a store is named in messages and listings: never with its password. */
export function describeStoreLocation(store: string | RedisClientLike | undefined, dataDir: string): string {
  const location = parseStoreLocation(store ?? 'local')
  if (location.kind === 'lmdb') return `local (${dataDir})`
  return location.kind === 'redis' ? location.target.display : location.description
}
