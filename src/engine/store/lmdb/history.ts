import {decodePart, headerTime, PART_KEYS} from '../change-log.js'
import {decodeRecord, recordRevision} from '../record.js'
import {decodeRetention} from '../retention.js'
import type {
  ChangeQuery,
  Compacted,
  HistoryState,
  HistoryStore,
  KeyRange,
  LogPosition,
  Retention,
  RevisionHeader,
  StoredChange,
  StoredEntry,
} from '../store.js'
import {HISTORY_KEY, RETENTION_KEY, type Environment} from './environment.js'
import {decodeHistoryMeta, type HistoryMeta} from './history-meta.js'
import {logKey, logKeyParts, versionKey, versionRevision} from './revisions.js'
import type {LmdbWriter} from './writes.js'

/**
 * Reads the history of one LMDB namespace (revisions.ts writes it). Each call reads from one snapshot: its
 * reads are made in one go, with no await between them.
 */
export class LmdbHistory implements HistoryStore {
  constructor(
    private readonly env: Environment,
    private readonly writer: LmdbWriter,
    /** Runs a read as a storage call, once the process's long write (if any) is over. */
    private readonly read: <T>(work: () => T) => Promise<T>,
  ) {}

  state(): Promise<HistoryState> {
    return this.read(() => {
      const meta = this.meta()
      return {revision: meta.revision, oldest: meta.oldest, retention: this.retention()}
    })
  }

  setRetention(retention: Retention | null, now: number): Promise<void> {
    return this.writer.setRetention(retention, now)
  }

  changes(query: ChangeQuery): Promise<{changes: StoredChange[]; next: LogPosition | null} | Compacted> {
    return this.read(() => {
      const meta = this.meta()
      if (query.before !== undefined && query.before.revision <= meta.oldest) return {compacted: true, oldest: meta.oldest}
      const headers = new Map<number, RevisionHeader>()
      const header = (revision: number) => {
        let found = headers.get(revision)
        if (found === undefined) {
          found = decodePart(this.env.log.getBinaryFast(logKey(revision, 0))!, true).header!
          headers.set(revision, found)
        }
        return found
      }
      const found: StoredChange[] = []
      /** Where each change found sits in its revision: the next page starts before the last one. */
      const indexes: number[] = []
      const wanted = query.limit + 1
      const take: Take = (revision, key, record, index) => {
        found.push({revision, key, entry: record === undefined ? null : describe(record, query.values), header: header(revision)})
        indexes.push(index)
        return found.length >= wanted
      }
      if (query.key !== undefined) this.keyChanges(query.key, meta.oldest, query.before?.revision, take)
      else this.logChanges(meta.oldest, query.before, query.range, take)
      if (found.length < wanted) return {changes: found, next: null}
      found.pop()
      return {changes: found, next: {revision: found[found.length - 1].revision, index: indexes[found.length - 1]}}
    })
  }

  entriesAt(keys: readonly Uint8Array[], revision: number): Promise<{at: number; entries: (StoredEntry | undefined)[]} | Compacted> {
    return this.read(() => {
      const meta = this.meta()
      if (revision < meta.oldest) return {compacted: true, oldest: meta.oldest}
      const at = revision === meta.oldest ? meta.oldestAt : headerTime(this.env.log.getBinaryFast(logKey(revision, 0))!)
      return {at, entries: keys.map((key) => this.entryAt(key, revision))}
    })
  }

  keysChangedSince(revision: number, {start, end}: KeyRange): Promise<Uint8Array[] | Compacted> {
    return this.read(() => {
      const meta = this.meta()
      if (revision < meta.oldest) return {compacted: true, oldest: meta.oldest}
      const changed = new Map<string, Uint8Array>()
      for (const {key, value} of this.env.log.getRange({start: logKey(revision + 1, 0)})) {
        for (const changedKey of decodePart(value, logKeyParts(key).part === 0).keys) {
          if (Buffer.compare(changedKey, start) < 0 || (end !== undefined && Buffer.compare(changedKey, end) >= 0)) continue
          const id = Buffer.from(changedKey.buffer, changedKey.byteOffset, changedKey.length).toString('latin1')
          if (!changed.has(id)) changed.set(id, Uint8Array.from(changedKey))
        }
      }
      return [...changed.values()]
    })
  }

  /**
   * One key's changes after `oldest` and before `before`, newest first, until `take` has enough: its record,
   * then the entries it replaced (a tombstone is a delete). Reads only that key's entries.
   */
  private keyChanges(key: Uint8Array, oldest: number, before: number | undefined, take: Take): void {
    const below = before ?? Number.MAX_SAFE_INTEGER
    const record = this.env.records.get(key)
    if (record !== undefined) {
      const revision = recordRevision(record)
      if (revision > oldest && revision < below && take(revision, key, record, 0)) return
    }
    const range = this.env.versions.getRange({start: versionKey(key, below - 1), end: versionKey(key, oldest), reverse: true})
    for (const {key: stored, value} of range) {
      if (take(versionRevision(stored), key, value.length === 0 ? undefined : value, 0)) return
    }
  }

  /** The namespace's changes after `oldest` and before `before`, newest first, of keys within `range`. */
  private logChanges(oldest: number, before: LogPosition | undefined, range: KeyRange | undefined, take: Take): void {
    const start = before === undefined ? undefined : logKey(before.revision, Math.floor(before.index / PART_KEYS))
    for (const {key: logEntry, value} of this.env.log.getRange({start, reverse: true})) {
      const {revision, part} = logKeyParts(logEntry)
      if (revision <= oldest) return
      const {keys} = decodePart(value, part === 0)
      for (let i = keys.length - 1; i >= 0; i--) {
        const index = part * PART_KEYS + i
        if (before !== undefined && revision === before.revision && index >= before.index) continue
        const key = keys[i]
        if (range !== undefined && (Buffer.compare(key, range.start) < 0 || (range.end !== undefined && Buffer.compare(key, range.end) >= 0))) continue
        if (take(revision, Uint8Array.from(key), this.writtenAt(key, revision), index)) return
      }
    }
  }

  /** The record `key`'s change at `revision` wrote, or undefined when that change deleted it. */
  private writtenAt(key: Uint8Array, revision: number): Uint8Array | undefined {
    const record = this.env.records.get(key)
    if (record !== undefined && recordRevision(record) === revision) return record
    const version = this.env.versions.get(versionKey(key, revision))
    if (version === undefined) throw new Error(`damaged history: the change of revision ${revision} to a key has no entry`)
    return version.length === 0 ? undefined : version
  }

  /** The entry `key` had right after `revision`: its record if written by then, else the newest it replaced. */
  private entryAt(key: Uint8Array, revision: number): StoredEntry | undefined {
    const record = this.env.records.get(key)
    if (record !== undefined && recordRevision(record) <= revision) return decodeRecord(record)
    const own = versionKey(key, 0).subarray(0, 2 + key.length)
    for (const {key: stored, value} of this.env.versions.getRange({start: versionKey(key, revision), reverse: true, limit: 1})) {
      if (!Buffer.from(stored.buffer, stored.byteOffset, own.length).equals(own)) return undefined
      return value.length === 0 ? undefined : decodeRecord(value)
    }
    return undefined
  }

  private meta(): HistoryMeta {
    return decodeHistoryMeta(this.env.meta.get(HISTORY_KEY)!)
  }

  private retention(): Retention | null {
    return decodeRetention(Buffer.from(this.env.meta.get(RETENTION_KEY)!).toString('latin1'))
  }
}

/** Takes a change found (its record, undefined for a delete; its place in its revision); true when enough are found. */
type Take = (revision: number, key: Uint8Array, record: Uint8Array | undefined, index: number) => boolean

/** What a change's record says, with its value only when asked for. */
function describe(record: Uint8Array, withValue: boolean): NonNullable<StoredChange['entry']> {
  const {value, ...entry} = decodeRecord(record)
  return {...entry, size: value.length, ...(withValue ? {value} : {})}
}
