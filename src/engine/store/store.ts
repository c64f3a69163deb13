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

export interface Store {
  read(key: Uint8Array): Promise<StoredValue | undefined>
  /**
   * Applies every op in one atomic transaction, then, in the same transaction, removes up to
   * `reclaim.max` keys whose expiry time is at or before `reclaim.now`.
   */
  write(ops: WriteOp[], reclaim?: {now: number; max: number}): Promise<void>
  /** Keys in byte order within the range, expired or not, from one consistent snapshot. */
  scan(range: ScanRange): Promise<StoredKey[]>
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
}
