import {isKvError} from '../../engine/errors.js'
import type {Namespace} from '../../engine/namespace.js'
import {openNamespace, type OpenOptions} from '../../engine/open.js'
import {checkBulkKeyCount, checkBulkSize, getType, invalidCursor, keyName, listOptions, writeOptions} from './rules.js'
import type {KVNamespace, KVNamespaceListKey, KVNamespaceListOptions, KVNamespacePutOptions, KVValueType} from './types.js'
import {putValue, valueAs} from './values.js'

export type * from './types.js'

/** A Workers `KVNamespace` over a kv namespace, and what a Node process needs besides: a way to let it go. */
export interface WorkersKVNamespace extends KVNamespace {
  /** Releases the namespace (its LMDB environment or Redis connection). */
  close(): Promise<void>
}

/**
 * Opens a kv namespace as Cloudflare's KV binding: code written for a Worker (`env.KV.get(key, 'json')`,
 * `put(key, value, {expirationTtl, metadata})`, `list({prefix, cursor})`) runs unchanged against it. Options
 * are openNamespace's (store, dataDir, create, clock).
 */
export async function openKVNamespace(name = 'default', options: OpenOptions = {}): Promise<WorkersKVNamespace> {
  const namespace = await openNamespace(name, options)
  return new WorkersBinding(namespace, options.clock ?? Date.now)
}

/**
 * Workers' rules and shapes (rules.ts, values.ts) over the engine's calls; every failure is a rejection, as a
 * binding's are. The loose signatures are the implementation of the overloads KVNamespace declares.
 */
class WorkersBinding implements WorkersKVNamespace {
  constructor(
    private readonly namespace: Namespace,
    private readonly clock: () => number,
  ) {}

  async get(key: string | readonly string[], typeOrOptions?: unknown): Promise<any> {
    if (Array.isArray(key)) return this.getBulk(key, typeOrOptions, false)
    const name = keyName('GET', key)
    const type = getType('GET', typeOrOptions)
    // Text and JSON take the engine's path for text, a get's quickest; JSON.parse's SyntaxError is a Worker's too.
    if (type === 'text') return this.namespace.get(name)
    if (type === 'json') {
      const text = await this.namespace.get(name)
      return text === null ? null : JSON.parse(text)
    }
    const bytes = await this.namespace.get(name, 'bytes')
    return bytes === null ? null : valueAs(bytes, type)
  }

  async getWithMetadata(key: string | readonly string[], typeOrOptions?: unknown): Promise<any> {
    if (Array.isArray(key)) return this.getBulk(key, typeOrOptions, true)
    const name = keyName('GET', key)
    const type = getType('GET', typeOrOptions)
    const entry = await this.namespace.getEntry(name)
    if (entry === null) return {value: null, metadata: null, cacheStatus: null}
    return {value: valueAs(entry.value, type), metadata: entry.metadata, cacheStatus: null}
  }

  /** Up to 100 keys from one consistent view, as text or JSON; a missing key maps to null. */
  private async getBulk(keys: readonly unknown[], typeOrOptions: unknown, withMetadata: boolean): Promise<Map<string, unknown>> {
    const type = getType('GET_BULK', typeOrOptions) as Extract<KVValueType, 'text' | 'json'>
    checkBulkKeyCount(keys.length)
    const names = keys.map((key) => keyName('GET_BULK', key))
    const entries = await this.namespace.getEntries(names)
    const result = new Map<string, unknown>()
    let bytes = 0
    for (const [name, entry] of entries) {
      if (entry === null) {
        result.set(name, null)
        continue
      }
      bytes += entry.value.byteLength
      let value: unknown
      try {
        value = valueAs(entry.value, type)
      } catch {
        throw new Error(`KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-${type} value`)
      }
      result.set(name, withMetadata ? {value, metadata: entry.metadata} : value)
    }
    checkBulkSize(bytes)
    return result
  }

  async put(key: string, value: string | ArrayBuffer | ArrayBufferView | ReadableStream, options?: KVNamespacePutOptions): Promise<void> {
    const name = keyName('PUT', key)
    const written = writeOptions(options, Math.floor(this.clock() / 1000))
    await this.namespace.put(name, await putValue(value), written)
  }

  async list(options?: KVNamespaceListOptions): Promise<any> {
    let page
    try {
      page = await this.namespace.listPage(listOptions(options))
    } catch (error) {
      if (isKvError(error, 'CURSOR_INVALID')) throw invalidCursor(error)
      throw error
    }
    const keys = page.keys.map(({name, expiresAt, metadata}) => {
      const key: KVNamespaceListKey<unknown> = {name}
      // Whole seconds, as Workers KV keeps them (kv keeps milliseconds).
      if (expiresAt !== null) key.expiration = Math.floor(expiresAt / 1000)
      if (metadata !== null) key.metadata = metadata
      return key
    })
    if (page.complete) return {keys, list_complete: true, cacheStatus: null}
    return {keys, list_complete: false, cursor: page.cursor, cacheStatus: null}
  }

  async delete(key: string): Promise<void> {
    await this.namespace.delete(keyName('DELETE', key))
  }

  close(): Promise<void> {
    return this.namespace.close()
  }
}
