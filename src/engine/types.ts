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

/** Who makes a write: recorded in the history with it (self-declared, not authenticated). */
export interface ActorOptions {
  /** Default: the namespace's actor (`openNamespace`'s `actor`, else user@host). */
  actor?: string
}

export interface PutOptions extends WriteOptions, ActorOptions {
  /** Write only when the key is missing or expired; the put then resolves to whether it wrote. */
  ifAbsent?: boolean
  /** Write only when the key is live and still has this version (from `getEntry`); resolves to whether it wrote. */
  ifVersion?: string
}

export interface IncrOptions extends ActorOptions {
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
  /** Expired keys not yet reclaimed. */
  expired: number
  /**
   * Of those, how many `purgeExpired` would remove now: while the namespace keeps history, an expired key stays
   * until the oldest revision kept is past its expiry (a read of that revision may need it).
   */
  reclaimable: number
  /** Size of the namespace's files on disk; null on a store that cannot tell (Redis). */
  bytesOnDisk: number | null
  /** The namespace's current revision. */
  revision: number
}

export interface Entry {
  value: Uint8Array
  /** When the key expires (ms since the epoch), or null. */
  expiresAt: number | null
  /** The key's metadata (parsed JSON), or null when it has none. */
  metadata: unknown
  /** Changes with every write of the key: pass it as `put`'s `ifVersion` to write only if nobody else did. */
  version: string
  /** The revision that last wrote the key (0: before the namespace kept revisions). */
  revision: number
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
  /** The revision that last wrote the key. */
  revision: number
}

export interface ListPage {
  keys: ListedKey[]
  /** Pass to the next call to continue; null when the list is complete. */
  cursor: string | null
  complete: boolean
}

export interface PutAllOptions extends ActorOptions {
  /** Write only the records whose key is missing or expired; leave the others as they are. */
  ifAbsent?: boolean
  /** What the history records the write as (default "import"). */
  operation?: string
}

export interface PutAllResult {
  /** The revisions it made (LMDB: one; Redis: one per chunk applied), or null when it wrote nothing. */
  revisions: Revisions | null
  /** Records not written because their key was there (`ifAbsent`). */
  skipped: number
}

/** One record of `putAll`. */
export interface PutRecord {
  key: string
  value: ValueInput
  options?: WriteOptions
  /** Where the record came from ("record 17 (line 18)"): an error about it starts with this. */
  source?: string
}

/**
 * How much history a namespace keeps: `false` for none; otherwise changes are dropped once older than
 * `maxAge` (seconds) or beyond the newest `maxRevisions` revisions (at least one of the two is set).
 */
export type HistoryRetention = false | {maxAge?: number | null; maxRevisions?: number | null}

export interface HistoryState {
  /** The namespace's current revision (0 before its first write). */
  revision: number
  /** The oldest revision that can still be read; changes after it are kept. */
  oldest: number
  /** What the namespace keeps; maxAge in seconds. */
  retention: false | {maxAge: number | null; maxRevisions: number | null}
}

/** One change to one key. */
export interface Change {
  revision: number
  key: string
  type: 'put' | 'delete'
  /** When its revision committed (ms since the epoch). */
  at: number
  /** Who said they made it. */
  actor: string
  /** What was done: put, delete, incr, batch, import or revert. */
  operation: string
  /** For a revert: the revision the keys were put back to; else null. */
  revertedTo: number | null
  /** What a put wrote (null for a delete): its value's size in bytes, expiry and metadata. */
  size: number | null
  expiresAt: number | null
  metadata: unknown
  /** The value a put wrote, when asked for (`values: true`); null for a delete. */
  value?: Uint8Array | null
}

export interface HistoryOptions {
  /** One key's changes (cost grows with that key's changes only). */
  key?: string
  /** Without `key`: only changes of keys with this prefix. */
  prefix?: string
  /** At most this many changes (default 1000). */
  limit?: number
  /** Where the previous page stopped, as returned in its `cursor`. */
  cursor?: string | null
  /** Include each put's value. */
  values?: boolean
}

export interface HistoryPage {
  /** Newest first. */
  changes: Change[]
  /** Pass to the next call for older changes; null when there are no more. */
  cursor: string | null
}

export interface RevertOptions extends ActorOptions {
  /** Put back this key... */
  key?: string
  /** ...or every key with this prefix ('' for every key). */
  prefix?: string
  /** As they were right after this revision. */
  to: number
  /** Work out what would change, and write nothing. */
  dryRun?: boolean
}

/** One key a revert changes: from what it is to what it was at the target revision (null: absent). */
export interface RevertedKey {
  key: string
  type: 'put' | 'delete'
  from: Entry | null
  to: Entry | null
}

/** The revisions one write made: one, or (Redis, a big write applied in chunks) several in a row. */
export interface Revisions {
  first: number
  last: number
}

export interface RevertResult {
  changes: RevertedKey[]
  /** The revisions that made the changes; null when nothing changed (or a dry run). */
  revisions: Revisions | null
}

export interface DeleteResult {
  /** How many live keys were deleted. */
  deleted: number
  /** The revisions that deleted them, or null when there was nothing to delete. */
  revisions: Revisions | null
}
