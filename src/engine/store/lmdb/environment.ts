import {open, type Database, type RootDatabase} from 'lmdb'

import {formatTooNew} from '../errors.js'
import {encodeRecord} from '../record.js'
import {encodeRetention} from '../retention.js'
import type {CreateOptions} from '../store.js'
import type {WriteBaseGuard} from './files.js'
import {encodeHistoryMeta} from './history-meta.js'
import {decodeTime} from './time.js'

/**
 * Every process must open an environment with the same flags (mixing sync modes can corrupt it), so they
 * are fixed here. `noSubdir` is explicit because lmdb-js would otherwise guess it from a dot in the path;
 * `overlappingSync: false` makes a resolved write durable, which is what a finished CLI command promises.
 * No `useWritemap`: it would grow the data file sparsely and write through the mapping, so a full disk would
 * kill the process with SIGBUS instead of failing the commit (exit 4). The price is that a transaction's dirty
 * pages live on the heap until LMDB spills them, so a multi-million-record import holds a few hundred MiB.
 */
const ENV_OPTIONS = {noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 8} as const
const DB_OPTIONS = {keyEncoding: 'binary', encoding: 'binary'} as const

export type Bytes = Database<Uint8Array, Uint8Array>

/**
 * Storage format 3 (this kv): one record per key (store/record.ts: revision, expiry and metadata with the
 * value, so a get is one lookup), plus, for keys that expire only, their expiry time by key and an index by
 * time; and the history: the change log by revision, and the entries changes replaced. Format 2 was the same
 * without revisions and history, format 1 (kv 0.1.0) kept values without a header, in `values`; both are
 * upgraded on open.
 */
export const FORMAT = 3
export const FORMAT_KEY = Buffer.from('format')
/** kv-meta's key for the revision counter and how far the history reaches (history-meta.ts). */
export const HISTORY_KEY = Buffer.from('history')
/** kv-meta's key for how much history the namespace keeps (store/retention.ts). */
export const RETENTION_KEY = Buffer.from('retention')

export interface Environment {
  root: RootDatabase
  /** key -> record (header, metadata, value) */
  records: Bytes
  /**
   * key -> expiry time (8 bytes, big-endian ms), for keys that expire only: a write looks here (a small
   * database when few keys expire) to find the index entry a key's old expiry left, without reading its record.
   */
  expiries: Bytes
  /** expiry time ++ key -> empty; ordered by time, so reclaiming reads only what has expired */
  expiryIndex: Bytes
  /**
   * Past entries: key length (2 bytes) ++ key ++ revision (8 bytes) -> the record that revision wrote, kept
   * once a later change replaced it; or empty, a tombstone: the key was deleted at that revision.
   */
  versions: Bytes
  /** revision (8 bytes) [++ part (4 bytes)] -> that revision's change log record (store/change-log.ts) */
  log: Bytes
  /** "format" -> the storage format, as decimal text; "history" and "retention" (see above) */
  meta: Bytes
  close(): Promise<void>
}

export function openEnvironment(directory: string): Environment {
  const root = open({path: directory, ...ENV_OPTIONS})
  return {
    root,
    records: root.openDB({name: 'records', ...DB_OPTIONS}),
    expiries: root.openDB({name: 'expiries', ...DB_OPTIONS}),
    expiryIndex: root.openDB({name: 'expiry-index', ...DB_OPTIONS}),
    versions: root.openDB({name: 'versions', ...DB_OPTIONS}),
    log: root.openDB({name: 'log', ...DB_OPTIONS}),
    meta: root.openDB({name: 'kv-meta', ...DB_OPTIONS}),
    close: () => root.close(),
  }
}

/**
 * The environment opened read-only, for `kv ns check`: it writes nothing, not even a database that is
 * missing (LMDB would create it), so databases are opened one by one, only those the file holds.
 */
export function openEnvironmentReadOnly(directory: string): {root: RootDatabase; database(name: string): Bytes} {
  const root = open({path: directory, ...ENV_OPTIONS, readOnly: true})
  return {root, database: (name) => root.openDB({name, ...DB_OPTIONS})}
}

/** The format a namespace is stored in; a namespace without one was written by kv 0.1.0 (format 1). */
function storedFormat(env: Environment): number {
  const text = env.meta.get(FORMAT_KEY)
  return text === undefined ? 1 : Number(Buffer.from(text).toString('latin1'))
}

/** Marks a namespace being created by this kv with the format it writes, and starts its history. */
export function writeFormat(env: Environment, options: CreateOptions): void {
  env.root.transactionSync(() => {
    startHistory(env, options)
    env.meta.putSync(FORMAT_KEY, Buffer.from(String(FORMAT)))
  })
}

/** Revision 0 is the namespace as it is now; it keeps history from here on as `retention` says. */
function startHistory(env: Environment, {retention, now}: CreateOptions): void {
  env.meta.putSync(HISTORY_KEY, encodeHistoryMeta({revision: 0, oldest: 0, oldestAt: now, cleaned: 0, cleanedPart: 0}))
  env.meta.putSync(RETENTION_KEY, Buffer.from(encodeRetention(retention)))
}

/**
 * Makes sure the namespace is in this kv's format: a newer one is refused, an older one upgraded in one
 * write transaction (all of it or, if anything fails or the process dies, none of it). Another process
 * opening at the same moment waits for the write lock, then finds the work done. Its keys keep their
 * entries and start with no history (revision 0); `upgrade` says how much it keeps from now on.
 */
export function ensureFormat(name: string, env: Environment, guard: WriteBaseGuard, upgrade: CreateOptions): void {
  const found = storedFormat(env)
  // That read took a read snapshot, which lmdb-js keeps until a timer fires: drop it, or this handle's first
  // reads could miss what another handle of this process commits meanwhile.
  env.root.resetReadTxn()
  if (found === FORMAT) return
  if (found > FORMAT || !Number.isInteger(found)) throw formatTooNew(name, found, FORMAT)
  env.root.transactionSync(() => {
    guard.check(env.root.getWriteTxnId())
    const from = storedFormat(env)
    if (from === FORMAT) return
    if (from === 1) upgradeFromFormat1(env)
    // Format 2 -> 3: records keep their bytes (a record without a revision reads as revision 0).
    startHistory(env, upgrade)
    env.meta.putSync(FORMAT_KEY, Buffer.from(String(FORMAT)))
  })
}

/**
 * Format 1 -> 2: each value and its expiry time (from `expiries`) become one record; `expiries` and the
 * expiry index keep their layout. Keys are read in order, so records are appended (no tree search).
 */
function upgradeFromFormat1(env: Environment): void {
  const values: Bytes = env.root.openDB({name: 'values', ...DB_OPTIONS})
  for (const {key, value} of values.getRange({})) {
    const time = env.expiries.get(key)
    const expiresAt = time === undefined ? null : decodeTime(time)
    env.records.putSync(key, encodeRecord({value, expiresAt, metadata: null}, 0), {append: true})
  }
  values.dropSync()
}
