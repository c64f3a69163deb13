/**
 * The store contract: all the engine needs from storage, and all it may assume. LMDB (store/lmdb/) and
 * Redis (store/redis/) implement it, and test/contract/ runs the same engine tests on each.
 *
 * - Keys, values and versions are bytes; times are milliseconds since the epoch.
 * - A store never decides what "now" is: the engine passes `now`, and a store compares expiry times with it
 *   only where the contract says so (preconditions, reclaiming, counting expired keys). Whether a key is
 *   live, what a list returns and every limit are the engine's business.
 * - Every method is asynchronous and takes whole requests, so a store may be remote: nothing here assumes
 *   reads inside an open write transaction.
 */

import type {StoreCheck} from './check.js'

/** An entry as stored: live or expired (the engine decides). */
export interface StoredEntry {
  value: Uint8Array
  /** When the key expires, or null when it never does. */
  expiresAt: number | null
  /** The entry's metadata as JSON text, or null. */
  metadata: string | null
  /** Stamped by the store on every write of the key (VERSION_BYTES): what a conditional write compares. */
  version: Uint8Array
}

/** What a put writes; the store stamps a new version. */
export type NewEntry = Omit<StoredEntry, 'version'>

export interface KeyedEntry extends StoredEntry {
  key: Uint8Array
}

/** A key as a list sees it: no value, no version. */
export interface StoredKey {
  key: Uint8Array
  expiresAt: number | null
  metadata: string | null
}

/**
 * A write's precondition, checked against the entry stored at that moment: `absent` holds when there is no
 * entry or it expired at or before `now`; `version` holds when a live entry has exactly that version.
 */
export type Precondition = {absent: true} | {version: Uint8Array}

export type WriteOp =
  | {type: 'put'; key: Uint8Array; entry: NewEntry; if?: Precondition}
  | {type: 'delete'; key: Uint8Array; if?: Precondition}
  /** Writes nothing: makes the write depend on a key it does not change (what an optimistic batch read). */
  | {type: 'check'; key: Uint8Array; if: Precondition}

export type WriteResult =
  /**
   * Every op was applied. `wasLive[i]`: delete or check op i found a live entry (at `now`) under its key
   * (after the ops before it); for a put a store may leave it undefined (LMDB does not look).
   */
  | {applied: true; wasLive: (boolean | undefined)[]}
  /** A precondition did not hold (the first such op's index): nothing was written. */
  | {applied: false; failed: number}

export interface KeyRange {
  /** First key (inclusive). */
  start: Uint8Array
  /** Key to stop before (exclusive); none means the end of the namespace. */
  end?: Uint8Array
}

export interface ScanRange extends KeyRange {
  limit: number
}

export interface StoreStats {
  /** Stored keys, live or expired. */
  entries: number
  /** Stored keys that have an expiry time, live or expired. */
  withExpiry: number
  /** Stored keys whose expiry time is at or before `now`, waiting to be reclaimed. */
  expired: number
  /** Bytes the namespace takes on disk (LMDB), or null where the store cannot tell. */
  bytesOnDisk: number | null
}

/**
 * How many expired keys a bulk write (writeAll) reclaims at its end, given how many of its puts stored a key
 * with an expiry time: the engine's policy (namespace.ts), applied by the store once it has counted them.
 */
export type ReclaimFor = (expiringPuts: number) => number

export interface Store {
  /** The entry stored under `key`, live or expired. One lookup. */
  get(key: Uint8Array): Promise<StoredEntry | undefined>
  /**
   * The value stored under `key` as `decode` makes it: one lookup, then `decode` is called once, before this
   * returns, with the value's bytes and expiry time (live or expired), or with undefined and null when there
   * is no entry; its result (or what it throws) is this call's. The bytes may be a view of a buffer the store
   * reuses for its next read: `decode` must turn them into something of its own (text, parsed JSON, a copy)
   * and never keep them. What a plain get needs, without the copies and objects of `get`. `key` too may be a
   * view of a buffer the caller reuses: a store that still needs it once this returns keeps a copy.
   */
  getValue<T>(key: Uint8Array, decode: (value: Uint8Array | undefined, expiresAt: number | null) => T): Promise<T>
  /** Several entries, all from one consistent view of the namespace. */
  getMany(keys: readonly Uint8Array[]): Promise<(StoredEntry | undefined)[]>
  /**
   * Applies `ops` in order, atomically, when every precondition holds (all checked against the entries as
   * they were before this write, before anything is written), then removes up to `reclaim` keys whose expiry
   * time is at or before `now`, earliest first. Writes a store joins into one transaction or script add up
   * their `reclaim`. Meant for small op lists: a remote store runs it as one server-side step.
   */
  write(ops: readonly WriteOp[], options: {now: number; reclaim: number}): Promise<WriteResult>
  /**
   * Applies any number of unconditional ops, read from `chunks` as they come (an import of millions of
   * records): all of them, or none when `chunks` throws or the process dies before the end. Later ops win
   * over earlier ones for the same key. Then reclaims like `write`. Returns how many deletes removed a live
   * entry (live at `now`).
   */
  writeAll(chunks: AsyncIterable<readonly WriteOp[]>, options: {now: number; reclaim: ReclaimFor}): Promise<{deletedLive: number}>
  /**
   * Deletes every key within the range; returns how many were live at `now`. LMDB deletes them in one
   * transaction; a remote store in chunks that are each atomic (the README states this difference).
   */
  deleteRange(range: KeyRange, now: number): Promise<number>
  /** Keys within the range in byte order, expired or not, from one consistent view. */
  scan(range: ScanRange): Promise<StoredKey[]>
  /**
   * Every entry within the range in byte order, expired or not, a batch at a time. LMDB reads all of it from
   * one snapshot; a remote store reads each batch atomically (the README states this difference).
   */
  entries(range: KeyRange): AsyncIterable<KeyedEntry[]>
  /** Counts in time that does not grow with the namespace (only with its expired keys). */
  stats(now: number): Promise<StoreStats>
  /** Removes up to `max` keys whose expiry time is at or before `now`; returns how many went. */
  reclaimExpired(now: number, max: number): Promise<number>
  close(): Promise<void>
}

/** Where namespaces live: creates, finds, opens and removes them. */
export interface StoreBackend {
  /** How the user names this place in messages (a directory, or a server URL without its password). */
  readonly description: string
  exists(name: string): Promise<boolean>
  /** Creates an empty namespace; fails with NAMESPACE_EXISTS when it is already there. */
  create(name: string): Promise<void>
  /** Opens a namespace; fails with NAMESPACE_NOT_FOUND unless it exists or `create` is set. */
  open(name: string, options: {create: boolean}): Promise<Store>
  /** Names of every namespace, sorted. */
  names(): Promise<string[]>
  /**
   * Removes a namespace: it disappears at once (no open or list finds it), then its data is freed. A process
   * that still has it open sees NAMESPACE_NOT_FOUND (Redis) or a private copy until it closes (LMDB).
   */
  remove(name: string): Promise<void>
  /**
   * Checks a namespace's integrity without trusting it (`kv ns check`): every page or key it uses, and that
   * its indexes agree with its records; `now` decides which keys count as expired. What it finds is in the
   * report, never thrown; fails with NAMESPACE_NOT_FOUND when there is no such namespace. Optional: a store
   * without it cannot be checked.
   */
  check?(name: string, options: {now: number}): Promise<StoreCheck>
  /**
   * `check` of several namespaces, in order, done the way the store does it fastest (LMDB: in one process
   * rather than one each); a namespace gone by its turn is left out. Optional: without it, `check` each.
   */
  checkEach?(names: readonly string[], options: {now: number}): AsyncIterable<{name: string; check: StoreCheck}>
  /** Releases what the backend holds (connections); namespaces opened from it must be closed first. */
  close(): Promise<void>
}
