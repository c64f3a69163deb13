import {decodeHeader} from '../change-log.js'
import {decodeRecord, MAX_HEAD_BYTES, valueSizeOf} from '../record.js'
import {compactionBudget, decodeRetention, encodeRetention} from '../retention.js'
import type {
  ChangeQuery,
  Compacted,
  HistoryState,
  HistoryStore,
  KeyRange,
  LogPosition,
  Retention,
  StoredChange,
  StoredEntry,
} from '../store.js'
import type {Connection} from './connection.js'
import type {NamespaceKeys} from './layout.js'
import {ENTRIES_AT, KEY_CHANGES, KEYS_CHANGED, LOG_CHANGES, SET_RETENTION} from './scripts.js'

/** Revisions one LOG_CHANGES script reads at most (a prefix that matches little would otherwise read them all). */
const LOG_SCAN = 1000
/** Revisions one KEYS_CHANGED script reads at most. */
const KEYS_CHANGED_REVISIONS = 200
/** Keys one ENTRIES_AT script reads. */
const ENTRIES_AT_KEYS = 500

/** The history of one namespace on Redis (scripts.ts keeps it): each call's scripts are each atomic. */
export class RedisHistory implements HistoryStore {
  constructor(
    private readonly connection: Connection,
    private readonly keys: NamespaceKeys,
    /** Sends what the store holds back for the end of the event turn: commands go out in the order made. */
    private readonly flush: () => void,
  ) {}

  async state(): Promise<HistoryState> {
    this.flush()
    const [revision, oldest, retention] = (await this.connection.call('HMGET', this.keys.meta, 'rev', 'oldest', 'retention')) as (Buffer | null)[]
    if (revision === null) return {revision: 0, oldest: 0, retention: null}
    return {revision: Number(revision.toString()), oldest: Number(oldest!.toString()), retention: decodeRetention(retention!.toString())}
  }

  async setRetention(retention: Retention | null, now: number): Promise<void> {
    this.flush()
    await this.connection.script(SET_RETENTION, [this.keys.meta], [encodeRetention(retention), String(now), this.keys.tp, String(compactionBudget(0))])
  }

  async changes(query: ChangeQuery): Promise<{changes: StoredChange[]; next: LogPosition | null} | Compacted> {
    this.flush()
    const wanted = query.limit + 1
    const found: {change: StoredChange; index: number}[] = []
    if (query.key !== undefined) {
      const reply = (await this.connection.script(
        KEY_CHANGES,
        [this.keys.meta],
        [this.keys.tp, Buffer.from(query.key), query.before === undefined ? '' : String(query.before.revision), String(wanted), query.values ? '1' : '0', String(MAX_HEAD_BYTES)],
      )) as (Buffer | number)[]
      if (reply[0] === 0) return {compacted: true, oldest: Number(reply[1])}
      for (let i = 2; i < reply.length; i += 4) {
        found.push({change: change(Number(reply[i].toString()), query.key, reply[i + 1] as Buffer, Number(reply[i + 2]), reply[i + 3] as Buffer, query.values), index: 0})
      }
    } else {
      const prefix = prefixOf(query.range)
      let start: {revision: string; index: string} = query.before === undefined ? {revision: '', index: ''} : {revision: String(query.before.revision), index: String(query.before.index)}
      while (found.length < wanted) {
        const reply = (await this.connection.script(
          LOG_CHANGES,
          [this.keys.meta],
          [this.keys.tp, start.revision, start.index, String(wanted - found.length), query.values ? '1' : '0', String(MAX_HEAD_BYTES), prefix, String(LOG_SCAN)],
        )) as (Buffer | number)[]
        if (reply[0] === 0) {
          // Compacted under a page already begun: what was found stands; else the cursor is too old.
          if (found.length > 0 || query.before === undefined) break
          return {compacted: true, oldest: Number(reply[1])}
        }
        for (let i = 3; i < reply.length; i += 6) {
          const key = reply[i + 2] as Buffer
          found.push({change: change(Number(reply[i].toString()), key, reply[i + 3] as Buffer, Number(reply[i + 4]), reply[i + 5] as Buffer, query.values), index: Number(reply[i + 1])})
        }
        const next = Number(reply[2])
        if (next === 0) break
        if (found.length < wanted) start = {revision: String(next), index: ''}
      }
    }
    if (found.length < wanted) return {changes: found.map(({change}) => change), next: null}
    found.pop()
    const last = found[found.length - 1]
    return {changes: found.map(({change}) => change), next: {revision: last.change.revision, index: last.index}}
  }

  async entriesAt(keys: readonly Uint8Array[], revision: number): Promise<{at: number; entries: (StoredEntry | undefined)[]} | Compacted> {
    this.flush()
    const entries: (StoredEntry | undefined)[] = []
    let at = 0
    for (let i = 0; i === 0 || i < keys.length; i += ENTRIES_AT_KEYS) {
      const chunk = keys.slice(i, i + ENTRIES_AT_KEYS).map((key) => Buffer.from(key))
      const reply = (await this.connection.script(ENTRIES_AT, [this.keys.meta], [this.keys.tp, String(revision), ...chunk])) as (Buffer | number)[]
      if (reply[0] === 0) return {compacted: true, oldest: Number(reply[1])}
      at = Number(reply[2].toString())
      for (let j = 3; j < reply.length; j++) {
        const record = reply[j] as Buffer
        entries.push(record.length === 0 ? undefined : decodeRecord(record))
      }
    }
    return {at, entries}
  }

  async keysChangedSince(revision: number, range: KeyRange): Promise<Uint8Array[] | Compacted> {
    this.flush()
    const {revision: current} = await this.state()
    const prefix = prefixOf(range)
    const changed = new Map<string, Buffer>()
    for (let first = revision + 1; first === revision + 1 || first <= current; first += KEYS_CHANGED_REVISIONS) {
      const reply = (await this.connection.script(
        KEYS_CHANGED,
        [this.keys.meta],
        [this.keys.tp, String(first), String(Math.min(current, first + KEYS_CHANGED_REVISIONS - 1)), prefix],
      )) as (Buffer | number)[]
      if (reply[0] === 0) return {compacted: true, oldest: Number(reply[1])}
      for (let i = 2; i < reply.length; i++) {
        const key = reply[i] as Buffer
        if (inRange(key, range)) changed.set(key.toString('latin1'), key)
      }
    }
    return [...changed.values()]
  }
}

/** A change from what a script read: the record (or its head, with the full length), the revision's header. */
function change(revision: number, key: Uint8Array, record: Buffer, length: number, header: Buffer, withValue: boolean): StoredChange {
  if (record.length === 0) return {revision, key, entry: null, header: decodeHeader(header).header}
  const {value, ...entry} = decodeRecord(record)
  const size = withValue ? value.length : valueSizeOf(record, length)
  return {revision, key, entry: {...entry, size, ...(withValue ? {value} : {})}, header: decodeHeader(header).header}
}

/**
 * The scripts filter by prefix (Lua compares strings by locale, not bytes): a range the engine makes is a
 * prefix's, from the prefix to the first key after it, and exact bounds are checked here.
 */
function prefixOf(range: KeyRange | undefined): Buffer {
  return range === undefined ? Buffer.alloc(0) : Buffer.from(range.start)
}

function inRange(key: Uint8Array, range: KeyRange): boolean {
  return Buffer.compare(key, range.start) >= 0 && (range.end === undefined || Buffer.compare(key, range.end) < 0)
}
