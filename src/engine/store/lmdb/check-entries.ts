import type {RootDatabase} from 'lmdb'

import {describeKey, describeTime, keyProblem, type Findings} from '../check.js'
import {recordDamage, recordExpiry} from '../record.js'
import type {Bytes} from './environment.js'
import {decodeTime, encodeTime, TIME_BYTES} from './time.js'

/**
 * The entry-level half of `kv ns check` on LMDB, run through lmdb-js in the check's child process (it reads
 * every leaf and overflow page LMDB can reach, so a page that makes LMDB abort kills that process, not kv):
 * every record decodes, and the records, `expiries` and `expiry-index` agree (store/lmdb/environment.ts):
 *
 * - a record that expires has an `expiries` entry with its expiry time, and an index entry (time ++ key);
 * - a record that never expires has neither;
 * - every `expiries` entry has its record; every index entry has its `expiries` entry, with the same time.
 *
 * Records and `expiries` are both in key order, so they are read side by side (no memory per key); index
 * entries are looked up in `expiries`, which holds only the keys that expire. All from one read snapshot.
 */

export interface EntryCounts {
  keys: number
  expiring: number
  expired: number
  /** Entries read from each database, to compare with what its pages hold. */
  entries: Record<string, number>
}

export interface CheckedDatabases {
  root: RootDatabase
  records: Bytes
  expiries: Bytes
  expiryIndex: Bytes
}

/** How often (in entries) the walk reports progress: the parent process's sign that it is not stuck. */
const PROGRESS_EVERY = 20_000

export function checkEntries(
  dbs: CheckedDatabases,
  now: number,
  findings: Findings,
  progress: (phase: string, done: number) => void,
): EntryCounts {
  const transaction = dbs.root.useReadTransaction()
  try {
    const counts: EntryCounts = {keys: 0, expiring: 0, expired: 0, entries: {}}
    checkRecords(dbs, transaction, now, findings, counts, progress)
    checkIndex(dbs, transaction, findings, counts, progress)
    return counts
  } finally {
    transaction.done()
  }
}

type Transaction = ReturnType<RootDatabase['useReadTransaction']>

function checkRecords(
  dbs: CheckedDatabases,
  transaction: Transaction,
  now: number,
  findings: Findings,
  counts: EntryCounts,
  progress: (phase: string, done: number) => void,
): void {
  progress('records', 0)
  const expiries = dbs.expiries.getRange({transaction})[Symbol.iterator]()
  let expiry = expiries.next()
  let expiriesRead = 0
  const nextExpiry = () => {
    expiriesRead++
    expiry = expiries.next()
  }
  for (const {key, value} of dbs.records.getRange({transaction})) {
    if (++counts.keys % PROGRESS_EVERY === 0) progress('records', counts.keys)
    const keyDamage = keyProblem(key)
    if (keyDamage !== undefined) findings.problem('record', `key ${describeKey(key)}: ${keyDamage}`)
    // `expiries` entries before this key belong to no record.
    while (!expiry.done && Buffer.compare(expiry.value.key, key) < 0) {
      findings.problem('index', `expiries: key ${describeKey(expiry.value.key)} has no record`)
      nextExpiry()
    }
    let indexed: number | undefined
    if (!expiry.done && Buffer.compare(expiry.value.key, key) === 0) {
      indexed = readTime(expiry.value.value, key, findings)
      nextExpiry()
    }
    const damage = recordDamage(value)
    if (damage !== undefined) {
      findings.problem('record', `key ${describeKey(key)}: ${damage}`)
      continue
    }
    const name = () => describeKey(key)
    const expiresAt = recordExpiry(value)
    if (expiresAt === null) {
      if (indexed !== undefined) findings.problem('index', `key ${name()} never expires, but expiries says it expires at ${describeTime(indexed)}`)
      continue
    }
    counts.expiring++
    if (expiresAt <= now) counts.expired++
    if (indexed === undefined) findings.problem('index', `key ${name()} expires at ${describeTime(expiresAt)} but has no expiries entry`)
    else if (indexed !== expiresAt) findings.problem('index', `key ${name()} expires at ${describeTime(expiresAt)}, but expiries says ${describeTime(indexed)}`)
    if (dbs.expiryIndex.get(indexKey(expiresAt, key), {transaction}) === undefined) {
      findings.problem('index', `key ${name()} expires at ${describeTime(expiresAt)} but has no expiry-index entry`)
    }
  }
  for (; !expiry.done; nextExpiry()) findings.problem('index', `expiries: key ${describeKey(expiry.value.key)} has no record`)
  counts.entries.records = counts.keys
  counts.entries.expiries = expiriesRead
}

function checkIndex(
  dbs: CheckedDatabases,
  transaction: Transaction,
  findings: Findings,
  counts: EntryCounts,
  progress: (phase: string, done: number) => void,
): void {
  progress('expiry-index', 0)
  let read = 0
  for (const {key: entry, value} of dbs.expiryIndex.getRange({transaction})) {
    if (++read % PROGRESS_EVERY === 0) progress('expiry-index', read)
    if (entry.length <= TIME_BYTES) {
      findings.problem('index', `expiry-index: an entry of ${entry.length} bytes, too short for a time and a key`)
      continue
    }
    const time = decodeTime(entry.subarray(0, TIME_BYTES))
    const key = entry.subarray(TIME_BYTES)
    const where = `expiry-index: key ${describeKey(key)} at ${describeTime(time)}`
    if (value.length !== 0) findings.problem('index', `${where}: the entry holds ${value.length} bytes, not none`)
    const stored = dbs.expiries.get(key, {transaction})
    const expiresAt = stored === undefined ? undefined : readTime(stored, key, findings)
    if (expiresAt === time) continue
    if (expiresAt !== undefined) findings.problem('index', `${where}: the key expires at ${describeTime(expiresAt)}`)
    else if (dbs.records.get(key, {transaction}) === undefined) findings.problem('index', `${where}: the key has no record`)
    else findings.problem('index', `${where}: the key has no expiries entry`)
  }
  counts.entries['expiry-index'] = read
}

/** The time of an `expiries` entry (of `key`). */
function readTime(bytes: Uint8Array, key: Uint8Array, findings: Findings): number | undefined {
  if (bytes.length === TIME_BYTES) return decodeTime(bytes)
  findings.problem('index', `expiries: key ${describeKey(key)}: the expiry time is ${bytes.length} bytes, not ${TIME_BYTES}`)
  return undefined
}

function indexKey(expiresAt: number, key: Uint8Array): Buffer {
  return Buffer.concat([encodeTime(expiresAt), key])
}
