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
 * - Every write that changes something is one revision of the namespace (the next number), written with the
 *   change itself: the records carry the revision that wrote them, and while the namespace keeps history
 *   (its retention) the store keeps the change log and the entries each change replaced (`history`).
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
  /** The revision that wrote the entry (0: before the namespace kept revisions). */
  revision: number
}

/** What a put writes; the store stamps its revision (and with it a new version). */
export type NewEntry = Omit<StoredEntry, 'version' | 'revision'>

export interface KeyedEntry extends StoredEntry {
  key: Uint8Array
}

/** A key as a list sees it: no value, no version. */
export interface StoredKey {
  key: Uint8Array
  expiresAt: number | null
  metadata: string | null
  revision: number
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
   * (after the ops before it); for a put a store may leave it undefined (LMDB does not look). `revision`:
   * the revision the write made, or null when it changed nothing; a store may leave it out of the result it
   * gives plain puts (one result serves many).
   */
  | {applied: true; wasLive: (boolean | undefined)[]; revision?: number | null}
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
  /**
   * Of those, the ones that expired by the oldest revision the history keeps (all of them when it keeps none):
   * what reclaiming removes now, less any written already expired after that revision (they wait too).
   */
  reclaimable: number
  /** Bytes the namespace takes on disk (LMDB), or null where the store cannot tell. */
  bytesOnDisk: number | null
}

/** Who made a write, and what it was: kept in the change log with its revision. */
export interface ChangeCause {
  /** Who says they made it (self-declared: an audit trail, not authentication). */
  actor: string
  /** What was done: put, delete, incr, batch, import or revert. */
  operation: string
  /** For a revert: the revision the keys were put back to. */
  revertedTo?: number
}

/** A change's revision as the log keeps it: who, what, and when it committed. */
export interface RevisionHeader extends ChangeCause {
  /** When the revision committed, by the writer's clock (ms since the epoch). */
  at: number
}

/** The revisions a write made: one, or (a remote store's chunked bulk write) several in a row. */
export interface RevisionSpan {
  first: number
  last: number
}

/**
 * How much history a namespace keeps: changes older than `maxAgeMs`, and all but the newest `maxRevisions`
 * revisions, are dropped a little at a time as writes go. Null on an axis: no bound there (never both).
 */
export interface Retention {
  maxAgeMs: number | null
  maxRevisions: number | null
}

export interface HistoryState {
  /** The namespace's current revision: the last one committed (0 before its first write). */
  revision: number
  /**
   * The oldest revision whose state can still be read: changes after it are kept. Equal to `revision` when
   * the namespace keeps no history.
   */
  oldest: number
  /** Null when the namespace keeps no history. */
  retention: Retention | null
}

/** One change of one key, newest first in what `changes` returns. */
export interface StoredChange {
  revision: number
  key: Uint8Array
  /**
   * What a put wrote (its value only when asked for; `size` always), or null for a delete. `version` is that
   * of the entry written.
   */
  entry: (Omit<StoredEntry, 'value'> & {size: number; value?: Uint8Array}) | null
  header: RevisionHeader
}

/** Where a page of changes stopped: the next page holds the changes before it (newest first). */
export interface LogPosition {
  revision: number
  /** The change's place within its revision (0 for the first key it changed). */
  index: number
}

export interface ChangeQuery {
  /** One key's changes, in time that grows with that key's changes only. */
  key?: Uint8Array
  /** Without `key`: the namespace's log, only changes of keys within this range. */
  range?: KeyRange
  /** Only changes before this position (newest first); none: from the newest. */
  before?: LogPosition
  limit: number
  /** Whether to read each put's value. */
  values: boolean
}

/** What a store answers for a revision older than the oldest it still keeps. */
export interface Compacted {
  compacted: true
  oldest: number
}

/** The part of the contract that keeps the past: revisions, the change log and the entries changes replaced. */
export interface HistoryStore {
  state(): Promise<HistoryState>
  /** Changes how much history the namespace keeps (null: none), from now on; dropping is gradual. */
  setRetention(retention: Retention | null, now: number): Promise<void>
  /** Changes, newest first: at most `limit`, and where to go on from (null when there are no more). */
  changes(query: ChangeQuery): Promise<{changes: StoredChange[]; next: LogPosition | null} | Compacted>
  /**
   * The entries of `keys` as they were right after `revision` committed (live or not: `at` is when it
   * committed, to judge expiry by), all from one consistent view. `revision` must not be newer than the
   * current one (the engine checks).
   */
  entriesAt(keys: readonly Uint8Array[], revision: number): Promise<{at: number; entries: (StoredEntry | undefined)[]} | Compacted>
  /** Every key within the range that changed after `revision`, each once, in no particular order. */
  keysChangedSince(revision: number, range: KeyRange): Promise<Uint8Array[] | Compacted>
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
  write(ops: readonly WriteOp[], options: {now: number; reclaim: number; cause: ChangeCause}): Promise<WriteResult>
  /**
   * Applies any number of ops, read from `chunks` as they come (an import of millions of records): all of
   * them, or none when `chunks` throws or the process dies before the end. Later ops win over earlier ones for
   * the same key. The only precondition it takes is `absent` on a put, which skips that put (not the write)
   * when its key is live as the op applies (so of several such puts of one key, the first wins). Then reclaims
   * like `write`. Returns how many deletes removed a live entry (live at `now`), how many puts were skipped,
   * and the revisions it made (LMDB: one; a remote store: one per chunk it applies).
   */
  writeAll(
    chunks: AsyncIterable<readonly WriteOp[]>,
    options: {now: number; reclaim: ReclaimFor; cause: ChangeCause},
  ): Promise<WriteAllResult>
  /**
   * Deletes every live key within the range; returns how many, and the revisions that did it. LMDB deletes
   * them in one transaction; a remote store in chunks that are each atomic (the README states this difference).
   */
  deleteRange(range: KeyRange, options: {now: number; cause: ChangeCause}): Promise<{deletedLive: number; revisions: RevisionSpan | null}>
  /** Keys within the range in byte order, expired or not, from one consistent view. */
  scan(range: ScanRange): Promise<StoredKey[]>
  /**
   * Every entry within the range in byte order, expired or not, a batch at a time. LMDB reads all of it from
   * one snapshot; a remote store reads each batch atomically (the README states this difference).
   */
  entries(range: KeyRange): AsyncIterable<KeyedEntry[]>
  /** Counts in time that does not grow with the namespace (only with its expired keys). */
  stats(now: number): Promise<StoreStats>
  /**
   * Removes up to `max` keys whose expiry time is at or before `now`, and before the oldest revision the
   * history keeps (a key it may still be asked for stays); returns how many went.
   */
  reclaimExpired(now: number, max: number): Promise<number>
  readonly history: HistoryStore
  close(): Promise<void>
}

export interface WriteAllResult {
  deletedLive: number
  /** Puts with an `absent` precondition whose key was live. */
  skipped: number
  revisions: RevisionSpan | null
}

/** What a namespace is created with. */
export interface CreateOptions {
  /** How much history it keeps (null: none). */
  retention: Retention | null
  /** When it is created: where its history starts. */
  now: number
}

/** Where namespaces live: creates, finds, opens and removes them. */
export interface StoreBackend {
  /** How the user names this place in messages (a directory, or a server URL without its password). */
  readonly description: string
  exists(name: string): Promise<boolean>
  /** Creates an empty namespace; fails with NAMESPACE_EXISTS when it is already there. */
  create(name: string, options: CreateOptions): Promise<void>
  /**
   * Opens a namespace; fails with NAMESPACE_NOT_FOUND unless it exists or `create` is set. A namespace this
   * creates, or upgrades from an older storage format, keeps history as `retention` says from `now` on.
   */
  open(name: string, options: CreateOptions & {create: boolean}): Promise<Store>
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
