import type {ValueInput} from './limits.js'

/** The binding's public types: what its calls take and return (namespace.ts implements them). */

/** Milliseconds since the epoch. Injected so tests can move time instead of sleeping. */
export type Clock = () => number

export type ValueType = 'text' | 'json' | 'bytes'

export interface WriteOptions {
  /** Time-to-live in seconds. Without it (or `expiration`), any existing expiration is removed. */
  expiresIn?: number | null
  /** Absolute expiry in seconds since the epoch, as Workers KV's `expiration`; `expiresIn` wins over it. */
  expiration?: number | null
  /** Any JSON value of at most 1024 bytes, kept with the key (Workers KV's metadata). A put without it leaves none. */
  metadata?: unknown
}

export interface PutOptions extends WriteOptions {
  /** Write only when the key is missing or expired; the put then resolves to whether it wrote. */
  ifAbsent?: boolean
  /** Write only when the key is live and still has this version (from `getEntry`); resolves to whether it wrote. */
  ifVersion?: string
}

export interface IncrOptions {
  /** Added to the counter; may be negative. Default 1. */
  by?: number
  /**
   * Time-to-live in seconds, set only when the counter is created (or had expired): a rate-limit window
   * stays fixed instead of being extended by every hit. An existing expiration is always kept.
   */
  expiresIn?: number | null
}

/** Writes inside `Namespace.batch`: validated as they are made, committed together. */
export interface Batch {
  /** The live entry as this batch sees it (its own writes included), or null. */
  getEntry(key: string): Promise<Entry | null>
  put(key: string, value: ValueInput, options?: WriteOptions): void
  delete(key: string): void
}

export interface NamespaceStats {
  /** Live keys. */
  keys: number
  /** Live keys that have an expiration. */
  expiring: number
  /** Expired keys not yet reclaimed (`purgeExpired` removes them). */
  expired: number
  /** Size of the namespace's files on disk; null on a store that cannot tell (Redis). */
  bytesOnDisk: number | null
}

export interface Entry {
  value: Uint8Array
  /** When the key expires (ms since the epoch), or null. */
  expiresAt: number | null
  /** The key's metadata (parsed JSON), or null when it has none. */
  metadata: unknown
  /** Changes with every write of the key: pass it as `put`'s `ifVersion` to write only if nobody else did. */
  version: string
}

export interface EntryWithName extends Entry {
  name: string
}

export interface ValueWithMetadata<T> {
  value: T | null
  metadata: unknown
}

export interface ListOptions {
  /** Only keys that start with this string (matched literally, byte for byte). */
  prefix?: string
  /** At most this many keys (default 1000); `Namespace.keys` walks every key. */
  limit?: number
}

export interface ListPageOptions extends ListOptions {
  /** Where the previous page stopped, as returned in its `cursor`. */
  cursor?: string | null
}

export interface ListedKey {
  name: string
  /** When the key expires (ms since the epoch), or null. */
  expiresAt: number | null
  /** The key's metadata (parsed JSON), or null. */
  metadata: unknown
}

export interface ListPage {
  keys: ListedKey[]
  /** Pass to the next call to continue; null when the list is complete. */
  cursor: string | null
  complete: boolean
}

/** One record of `putAll`. */
export interface PutRecord {
  key: string
  value: ValueInput
  options?: WriteOptions
  /** Where the record came from ("record 17 (line 18)"): an error about it starts with this. */
  source?: string
}
