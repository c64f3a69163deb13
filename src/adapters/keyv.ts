import {EventEmitter} from 'node:events'

import type {OpenOptions} from '../engine/open.js'
import {LazyNamespace} from './lazy-namespace.js'

/** One entry of `setMany`, as Keyv hands it over: the serialized value, the TTL in milliseconds. */
export interface KeyvStoreEntry {
  key: string
  value: string
  ttl?: number
}

/**
 * Keyv 5's store adapter over a kv namespace (cache-manager and NestJS's cache module build on Keyv):
 * `new Keyv({store: new KeyvStore('cache', {store: 'redis://…'})})`. Keyv hands it the text it serializes and
 * TTLs in milliseconds; kv keeps the expiry, so an expired key is never returned, counted or iterated.
 *
 * Keyv's namespace maps onto a key prefix: Keyv namespace `N` keeps its keys under `N:` (`keyv:` by default),
 * with any `:` and `%` in N escaped, so that no namespace's prefix is another's and `clear()` of one never
 * touches another's keys. Without a namespace the keys are the kv keys, and `clear()` empties the kv namespace.
 */
export class KeyvStore extends EventEmitter {
  /**
   * Keyv reads its adapters' `opts`. Keyv 5 wires `keyv.iterator()` itself only for the adapters it lists by
   * `dialect` or `url` (its official ones), so apps wire this one's: see `iterator`.
   */
  readonly opts: {dialect: 'kv'; url: string}
  /** Keyv's namespace for the keys it hands over; Keyv sets it. */
  namespace: string | undefined
  private readonly kv: LazyNamespace

  /**
   * `name` is the kv namespace; options are openNamespace's (store, dataDir, create, clock). It is opened on
   * first use, and created then unless `create: false`.
   */
  constructor(name = 'default', options: OpenOptions = {}) {
    super()
    this.kv = new LazyNamespace(name, options)
    this.opts = {dialect: 'kv', url: `kv:${name}`}
  }

  /**
   * The text Keyv serialized, or undefined. Generic in the form Keyv's adapter type declares (what a store hands
   * back is the serialized data, so `Value` is a string).
   */
  async get<Value = string>(key: string): Promise<Value | undefined> {
    const value = await (await this.kv.get()).get(this.kvKey(key))
    return (value ?? undefined) as Value | undefined
  }

  /** From one consistent view, in the order asked. */
  async getMany<Value = string>(keys: string[]): Promise<Array<Value | undefined>> {
    const kvKeys = keys.map((key) => this.kvKey(key))
    const values = await (await this.kv.get()).get(kvKeys)
    return kvKeys.map((key) => (values.get(key) ?? undefined) as Value | undefined)
  }

  async has(key: string): Promise<boolean> {
    return (await (await this.kv.get()).getEntry(this.kvKey(key))) !== null
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    const kvKeys = keys.map((key) => this.kvKey(key))
    const entries = await (await this.kv.get()).getEntries(kvKeys)
    return kvKeys.map((key) => entries.get(key) != null)
  }

  /** Stores Keyv's serialized value; `ttl` in milliseconds (none, or 0: it never expires). */
  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    await this.setMany([{key, value, ttl}])
    return true
  }

  /** All of them or, when one is invalid, none. */
  async setMany(entries: KeyvStoreEntry[]): Promise<void> {
    const namespace = await this.kv.get()
    await namespace.batch((batch) => {
      for (const {key, value, ttl} of entries) {
        if (typeof value !== 'string') {
          throw new TypeError(`KeyvStore stores the text Keyv serializes, got ${typeof value}: keep Keyv's serialize option`)
        }
        // A TTL that has run out already (Keyv passes what it is given) leaves no live key.
        if (ttl !== undefined && ttl < 0) batch.delete(this.kvKey(key))
        else batch.put(this.kvKey(key), value, ttl ? {expiresIn: ttl / 1000} : undefined)
      }
    })
  }

  /** Resolves to whether the key was there. */
  async delete(key: string): Promise<boolean> {
    return this.deleteMany([key])
  }

  /** In one transaction; resolves to whether any of the keys was there. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const deleted = await (await this.kv.get()).deleteMany(keys.map((key) => this.kvKey(key)))
    return deleted > 0
  }

  /** Deletes the current Keyv namespace's keys, and no other's. */
  async clear(): Promise<void> {
    await (await this.kv.get()).deletePrefix(keyPrefix(this.namespace))
  }

  /**
   * The live entries of a Keyv namespace (default: the current one) as Keyv's adapters yield them: its keys
   * as Keyv prefixes them, and the serialized values. For `keyv.iterator()`, wire it with Keyv's own
   * `keyv.iterator = keyv.generateIterator(store.iterator.bind(store))`.
   */
  async *iterator(namespace: string | undefined = this.namespace): AsyncGenerator<[string, string], void, undefined> {
    const prefix = keyPrefix(namespace)
    const utf8 = new TextDecoder()
    for await (const entry of (await this.kv.get()).entries({prefix})) {
      const key = entry.name.slice(prefix.length)
      yield [namespace ? `${namespace}:${key}` : key, utf8.decode(entry.value)]
    }
  }

  async disconnect(): Promise<void> {
    await this.kv.close()
  }

  /** The kv key of a key Keyv hands over (`N:key` when it prefixed it with its namespace N). */
  private kvKey(key: string): string {
    const namespace = this.namespace
    if (!namespace) return key
    const own = key.startsWith(`${namespace}:`) ? key.slice(namespace.length + 1) : key
    return keyPrefix(namespace) + own
  }
}

/** Where a Keyv namespace's keys start: `N:`, with `%` and `:` in N escaped; '' without a namespace. */
function keyPrefix(namespace: string | undefined): string {
  return namespace ? `${namespace.replaceAll('%', '%25').replaceAll(':', '%3A')}:` : ''
}
