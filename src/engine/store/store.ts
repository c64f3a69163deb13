/**
 * What the engine needs from storage. Keys and values are bytes; times are milliseconds since the epoch.
 * The store keeps each key's expiry time and an index by time, but never decides what "now" is or whether
 * a key is live: that is the engine's job, so every backend gets the same semantics.
 */
export interface StoredValue {
  value: Uint8Array
  /** When the key expires (ms since the epoch), or null when it never does. */
  expiresAt: number | null
}

export interface StoredKey {
  key: Uint8Array
  expiresAt: number | null
}

export interface StoredEntry extends StoredValue {
  key: Uint8Array
}

export type WriteOp =
  | {type: 'put'; key: Uint8Array; value: Uint8Array; expiresAt: number | null}
  | {type: 'delete'; key: Uint8Array}

export interface ScanRange {
  /** First key to return (inclusive). */
  start: Uint8Array
  /** Key to stop before (exclusive); none means the end of the namespace. */
  end?: Uint8Array
  limit: number
}

/** Reads from one consistent view: a snapshot, or a write transaction (which sees its own writes). */
export interface StoreView {
  get(key: Uint8Array): StoredValue | undefined
  /** Entries in byte order within the range (`limit` optional), expired or not, read lazily. */
  entries(range: Omit<ScanRange, 'limit'> & {limit?: number}): Iterable<StoredEntry>
}

/** A write transaction: everything in it is committed together, or nothing is when its body throws. */
export interface StoreTransaction extends StoreView {
  put(key: Uint8Array, value: Uint8Array, expiresAt: number | null): void
  delete(key: Uint8Array): void
}

/** A read snapshot held open until `close`, e.g. for an export that streams while others write. */
export interface StoreSnapshot extends StoreView {
  close(): void
}

export interface StoreStats {
  /** Stored keys, live or expired. */
  entries: number
  /** Stored keys that have an expiry time, live or expired. */
  withExpiry: number
  /** Stored keys whose expiry time is at or before `now`, waiting to be reclaimed. */
  expired: number
  /** Size of the namespace's files on disk. */
  bytesOnDisk: number
}

export interface Store {
  read(key: Uint8Array): Promise<StoredValue | undefined>
  /**
   * Applies every op in one atomic transaction, then, in the same transaction, removes up to
   * `reclaim.max` keys whose expiry time is at or before `reclaim.now`.
   */
  write(ops: WriteOp[], reclaim?: {now: number; max: number}): Promise<void>
  /** Keys in byte order within the range, expired or not, from one consistent snapshot. */
  scan(range: ScanRange): Promise<StoredKey[]>
  /**
   * Runs `body` in one write transaction, holding the namespace's write lock until it settles (it may be
   * async, e.g. to stream an import). When it throws or rejects, nothing it wrote is kept. Then, in the
   * same transaction, reclaims like `write`.
   */
  update<T>(
    body: (txn: StoreTransaction) => T,
    reclaim?: {now: number; max: number},
    /** `rerunnable`: running the body twice has the effect of running it once (deletes), so it may run again after a transient failure. */
    options?: {rerunnable?: boolean},
  ): Promise<Awaited<T>>
  /** A consistent read view that stays open (and pins its pages) until closed. */
  snapshot(): StoreSnapshot
  /** Counts that cost O(1) plus O(expired keys), whatever the namespace's size. */
  stats(now: number): Promise<StoreStats>
  /** Removes up to `max` keys whose expiry time is at or before `now`; returns how many went. */
  reclaimExpired(now: number, max: number): Promise<number>
  close(): Promise<void>
}

/** Where namespaces live: creates, finds and opens them. */
export interface StoreBackend {
  exists(name: string): Promise<boolean>
  /** Creates an empty namespace; fails with NAMESPACE_EXISTS when it is already there. */
  create(name: string): Promise<void>
  /** Opens a namespace; fails with NAMESPACE_NOT_FOUND unless it exists or `create` is set. */
  open(name: string, options: {create: boolean}): Promise<Store>
  /** Names of every namespace, sorted. */
  names(): Promise<string[]>
  /**
   * Removes a namespace atomically: it is moved out of sight in one rename, then its files are removed.
   * A process that still has it open keeps a private, unreachable copy until it closes.
   */
  remove(name: string): Promise<void>
}
