/**
 * The KV binding as a Worker sees it (Cloudflare's documented `KVNamespace`), declared here so that apps need
 * no `@cloudflare/workers-types` to use it; test/adapters/workers-types.ts checks that an opened namespace is
 * assignable to that package's `KVNamespace`. Shapes follow Cloudflare's declarations, where a few say less than
 * the runtime does (a bulk get's missing key is `null` in the Map).
 */

/** The value types of a one-key get. */
export type KVValueType = 'text' | 'json' | 'arrayBuffer' | 'stream'

export interface KVNamespaceGetOptions<Type> {
  type: Type
  /** Seconds a Worker's edge would cache the value: at least 30; checked, then ignored (there is no edge here). */
  cacheTtl?: number
}

/** A get of text: options without a type (or with `type: 'text'`). */
type TextOptions = Partial<KVNamespaceGetOptions<'text' | undefined>>

export interface KVNamespacePutOptions {
  /** Absolute expiry, seconds since the epoch: at least 60 seconds from now. */
  expiration?: number
  /** Seconds from now, at least 60; wins over `expiration`. */
  expirationTtl?: number
  /** Any JSON value of at most 1024 bytes, kept with the key. */
  metadata?: any | null
}

export interface KVNamespaceListOptions {
  /** At most this many keys, 1000 at most and by default. */
  limit?: number
  prefix?: string | null
  /** Where the previous page stopped; empty or absent starts at the beginning. */
  cursor?: string | null
}

export interface KVNamespaceListKey<Metadata, Key extends string = string> {
  name: Key
  /** When the key expires, seconds since the epoch; absent when it never does. */
  expiration?: number
  /** Absent when the key has none. */
  metadata?: Metadata
}

export type KVNamespaceListResult<Metadata, Key extends string = string> =
  | {list_complete: false; keys: KVNamespaceListKey<Metadata, Key>[]; cursor: string; cacheStatus: string | null}
  | {list_complete: true; keys: KVNamespaceListKey<Metadata, Key>[]; cacheStatus: string | null}

export interface KVNamespaceGetWithMetadataResult<Value, Metadata> {
  value: Value | null
  metadata: Metadata | null
  /** Always null here: there is no edge cache. */
  cacheStatus: string | null
}

/**
 * The overloads follow Cloudflare's: a type by name, or the options form (which, as there, may be left out). A
 * bulk get (at most 100 keys, one consistent view) takes text or JSON, and maps a missing key to null.
 */
export interface KVNamespace<Key extends string = string> {
  get(key: Key, options?: TextOptions): Promise<string | null>
  get(key: Key, type: 'text'): Promise<string | null>
  get<ExpectedValue = unknown>(key: Key, type: 'json'): Promise<ExpectedValue | null>
  get(key: Key, type: 'arrayBuffer'): Promise<ArrayBuffer | null>
  get(key: Key, type: 'stream'): Promise<ReadableStream | null>
  get<ExpectedValue = unknown>(key: Key, options?: KVNamespaceGetOptions<'json'>): Promise<ExpectedValue | null>
  get(key: Key, options?: KVNamespaceGetOptions<'arrayBuffer'>): Promise<ArrayBuffer | null>
  get(key: Key, options?: KVNamespaceGetOptions<'stream'>): Promise<ReadableStream | null>
  get(keys: Array<Key>, type: 'text'): Promise<Map<string, string | null>>
  get<ExpectedValue = unknown>(keys: Array<Key>, type: 'json'): Promise<Map<string, ExpectedValue | null>>
  get(keys: Array<Key>, options?: TextOptions): Promise<Map<string, string | null>>
  get<ExpectedValue = unknown>(keys: Array<Key>, options?: KVNamespaceGetOptions<'json'>): Promise<Map<string, ExpectedValue | null>>

  getWithMetadata<Metadata = unknown>(key: Key, options?: TextOptions): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'text'): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(key: Key, type: 'json'): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'arrayBuffer'): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'stream'): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'text'>): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(
    key: Key,
    options: KVNamespaceGetOptions<'json'>,
  ): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'arrayBuffer'>): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'stream'>): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>
  getWithMetadata<Metadata = unknown>(keys: Array<Key>, type: 'text'): Promise<Map<string, KVNamespaceGetWithMetadataResult<string, Metadata>>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(
    keys: Array<Key>,
    type: 'json',
  ): Promise<Map<string, KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>>
  getWithMetadata<Metadata = unknown>(keys: Array<Key>, options?: TextOptions): Promise<Map<string, KVNamespaceGetWithMetadataResult<string, Metadata>>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(
    keys: Array<Key>,
    options?: KVNamespaceGetOptions<'json'>,
  ): Promise<Map<string, KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>>

  /** Resolves to undefined once the value is stored. */
  put(key: Key, value: string | ArrayBuffer | ArrayBufferView | ReadableStream, options?: KVNamespacePutOptions): Promise<void>

  list<Metadata = unknown>(options?: KVNamespaceListOptions): Promise<KVNamespaceListResult<Metadata, Key>>

  delete(key: Key): Promise<void>
}
