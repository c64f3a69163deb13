import {isUtf8} from 'node:buffer'

import {MAX_KEY_BYTES} from '../limits.js'

/**
 * What an integrity check of one namespace reports (`kv ns check`, `checkNamespace()`), whatever the store.
 * A store finds the problems; the engine and the CLI only pass them on. Problems are kept up to
 * MAX_KEPT_PROBLEMS, with the total count alongside, so a namespace with a million broken index entries
 * still gives a report of bounded size.
 */

/** What a problem is about; a script may branch on it (the message is for people). */
export type CheckProblemKind =
  /** The data file cannot be used at all: missing, truncated, not LMDB, a damaged meta page. */
  | 'file'
  /** A B-tree or overflow page that is damaged, reached twice, out of the file or both used and free. */
  | 'page'
  /** A database's entry or page counts disagree with what its pages hold. */
  | 'count'
  /** A stored record that does not decode (header, metadata), or a key that kv cannot have written. */
  | 'record'
  /** The expiry indexes and the records disagree (LMDB: expiries, expiry-index; Redis: keys, exp). */
  | 'index'
  /** Reading the namespace failed: LMDB returned an error or aborted the process that read it. */
  | 'read'

export interface CheckProblem {
  kind: CheckProblemKind
  /** One line, naming the page, key or index entry. */
  message: string
}

/** Local LMDB: the page-level walk of data.mdb (store/lmdb/pages.ts). */
export interface LmdbCheckDetails {
  store: 'lmdb'
  /** Size of data.mdb in bytes. */
  fileBytes: number
  pageSize: number
  /** The commit (transaction id) whose pages were walked. */
  txnId: number
  /** Pages of the file: in use (meta pages and every B-tree and overflow page), on the free list, never used yet (past the last allocated page), or none of these (leaked). */
  pages: {file: number; inUse: number; free: number; unused: number; leaked: number}
  /** Every B-tree in the file: LMDB's free-page database, its main database, and the named ones (records, expiries, ...). */
  databases: {name: string; depth: number; entries: number; branchPages: number; leafPages: number; overflowPages: number}[]
}

/** Redis / Valkey: what the indexes and the key space hold. */
export interface RedisCheckDetails {
  store: 'redis'
  /** Members of the keys sorted set. */
  indexedKeys: number
  /** Members of the exp sorted set. */
  indexedExpiries: number
  /** Record strings found under the namespace's hash tag. */
  records: number
  /** Staged chunks of imports that are still running or were killed while staging (they expire by themselves). */
  stagedChunks: number
}

/** Counted as StoreStats counts (store.ts): the engine turns them into live keys. */
export interface StoreCheck {
  /** Keys stored, live or expired. */
  entries: number
  /** Stored keys with an expiry time, live or expired. */
  withExpiry: number
  /** Stored keys whose expiry time is at or before `now`, waiting to be reclaimed. */
  expired: number
  /** What is wrong, at most MAX_KEPT_PROBLEMS of it; empty when the namespace is sound. */
  problems: CheckProblem[]
  /** How many problems were found in all (more than `problems.length` when some were left out). */
  problemCount: number
  /** Things worth knowing that are not damage (leaked pages, leftovers of an import). */
  notes: string[]
  /** What the namespace takes on disk, as StoreStats.bytesOnDisk counts it; null on a store that cannot tell (Redis). */
  bytesOnDisk: number | null
  details: LmdbCheckDetails | RedisCheckDetails | null
}

export const MAX_KEPT_PROBLEMS = 100

/** Collects problems and notes as a check finds them. */
export class Findings {
  readonly problems: CheckProblem[] = []
  problemCount = 0
  readonly notes: string[] = []

  problem(kind: CheckProblemKind, message: string): void {
    if (this.problems.length < MAX_KEPT_PROBLEMS) this.problems.push({kind, message})
    this.problemCount++
  }

  note(message: string): void {
    this.notes.push(message)
  }

  /** Adds what another collector found (a child process's findings, a phase of the check). */
  merge(other: {problems: CheckProblem[]; problemCount: number; notes: string[]}): void {
    for (const found of other.problems) this.problem(found.kind, found.message)
    this.problemCount += other.problemCount - other.problems.length
    this.notes.push(...other.notes)
  }
}

/** What is wrong with a stored key, or undefined when kv could have written it (1 to 512 bytes of UTF-8). */
export function keyProblem(key: Uint8Array): string | undefined {
  if (key.length === 0 || key.length > MAX_KEY_BYTES) return `it is ${key.length} bytes; kv keys are 1 to ${MAX_KEY_BYTES}`
  if (!isUtf8(key)) return 'it is not UTF-8 text'
  return undefined
}

/** A key as messages show it: JSON-quoted text (shortened past 80 characters), or hex when it is not UTF-8. */
export function describeKey(key: Uint8Array): string {
  const bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  if (!isUtf8(bytes)) return `0x${bytes.subarray(0, 40).toString('hex')}${bytes.length > 40 ? '…' : ''}`
  const text = bytes.toString('utf8')
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

/** A time in ms since the epoch as messages show it. */
export function describeTime(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`
}
