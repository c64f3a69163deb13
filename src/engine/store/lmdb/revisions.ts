import {decodePart, encodeHeader, encodePart, headerTime, PART_KEYS} from '../change-log.js'
import {encodeRecord, recordExpiry, recordRevision} from '../record.js'
import {decodeRetention, encodeRetention} from '../retention.js'
import type {ChangeCause, NewEntry, Retention} from '../store.js'
import {HISTORY_KEY, RETENTION_KEY, type Environment} from './environment.js'
import {decodeHistoryMeta, encodeHistoryMeta, reclaimHorizon, type HistoryMeta} from './history-meta.js'
import {decodeTime, encodeTime, TIME_BYTES} from './time.js'

const EMPTY = new Uint8Array(0)
const APPEND = {append: true} as const

/**
 * Every change made inside one LMDB write transaction, with its history: each write request is a revision
 * of its own (the next number; several requests may share a transaction), its records are stamped with it,
 * and while the namespace keeps history the revision's log record and the entries it replaced are written in
 * the same transaction. Old history is dropped a little at a time (`upkeep`), as expired keys are reclaimed.
 *
 * The rules every store follows (the Redis scripts do the same, store/redis/scripts.ts):
 * - a put or delete moves the entry it replaces into `versions` under the revision that wrote it, unless
 *   that revision is this one (an entry replaced within one revision was never the state at any revision);
 *   a delete also leaves a tombstone at its own revision;
 * - an expired key is not a change: deleting it changes nothing while history is kept (its record stays, as
 *   the state of the revisions when it was live, until it is reclaimed);
 * - a record removed for good (reclaimed, or deleted while no history is kept) takes with it the entries of
 *   its key from before it, so that no read of a past revision finds them instead of the key's absence;
 * - dropping a revision from the history removes its log record, the entries its changes replaced and its
 *   tombstones: what is left reads every revision from `oldest` on.
 */
export class RevisionWriter {
  private loaded: {meta: HistoryMeta; retention: Retention | null} | undefined
  private dirty = false
  /** The revision being written (undefined between requests). */
  private current: {revision: number; header: Buffer; keys: Uint8Array[]; parts: number; changed: boolean; tombstones: number} | undefined

  constructor(private readonly env: Environment) {}

  /** Read at the first use, inside the transaction (a transaction that writes nothing reads nothing). */
  private get state(): {meta: HistoryMeta; retention: Retention | null} {
    return (this.loaded ??= {
      meta: decodeHistoryMeta(this.env.meta.get(HISTORY_KEY)!),
      retention: decodeRetention(Buffer.from(this.env.meta.get(RETENTION_KEY)!).toString('latin1')),
    })
  }

  private get meta(): HistoryMeta {
    return this.state.meta
  }

  private get retention(): Retention | null {
    return this.state.retention
  }

  /** Whether the namespace keeps history (its retention is not off). */
  private get keeping(): boolean {
    return this.retention !== null
  }

  /** Starts the next revision: what `put` and `remove` do until `end` is part of it. */
  begin(cause: ChangeCause, now: number): void {
    this.current = {revision: this.meta.revision + 1, header: encodeHeader(cause, now), keys: [], parts: 0, changed: false, tombstones: 0}
  }

  /** Ends the revision begun last: its number, or null when it changed nothing (the number is not used). */
  end(): number | null {
    const revision = this.current!
    this.current = undefined
    if (!revision.changed) return null
    if (this.keeping) this.writePart(revision)
    // With no history kept, nothing of the revision needs removing later.
    if (this.meta.cleaned === this.meta.revision && !this.keeping) this.meta.cleaned = revision.revision
    this.meta.revision = revision.revision
    if (!this.keeping) this.meta.oldest = revision.revision
    this.dirty = true
    return revision.revision
  }

  /** Stores `entry` under `key` (which `append` says comes after every stored key). */
  put(key: Uint8Array, entry: NewEntry, append = false): void {
    const revision = this.current!
    let logged = false
    if (this.keeping && !append) {
      const replaced = this.env.records.get(key)
      if (replaced !== undefined) {
        const written = recordRevision(replaced)
        if (written === revision.revision) logged = true
        else this.env.versions.putSync(versionKey(key, written), replaced)
      } else if (revision.tombstones > 0) {
        // Deleted earlier in this same revision: the put takes the tombstone's place.
        const tombstone = versionKey(key, revision.revision)
        if (this.env.versions.doesExist(tombstone)) {
          logged = true
          this.env.versions.removeSync(tombstone)
        }
      }
    }
    if (append) {
      this.env.records.putSync(key, encodeRecord(entry, revision.revision), APPEND)
    } else {
      this.dropExpiry(key)
      this.env.records.putSync(key, encodeRecord(entry, revision.revision))
    }
    this.addExpiry(key, entry.expiresAt)
    revision.changed = true
    if (this.keeping && !logged) this.log(key)
  }

  /** Deletes `key`; returns whether a live entry was there (live at `now`). */
  remove(key: Uint8Array, now: number): boolean {
    const revision = this.current!
    const stored = this.env.records.get(key)
    if (stored === undefined) return false
    const expiresAt = recordExpiry(stored)
    const live = expiresAt === null || expiresAt > now
    const written = recordRevision(stored)
    let logged = false
    if (this.keeping) {
      if (!live) return false
      if (written === revision.revision) logged = true
      else this.env.versions.putSync(versionKey(key, written), stored)
      this.env.versions.putSync(versionKey(key, revision.revision), EMPTY)
      revision.tombstones++
    } else {
      this.dropVersionsBefore(key, written)
    }
    this.dropExpiry(key)
    this.env.records.removeSync(key)
    if (!live) return false
    revision.changed = true
    if (this.keeping && !logged) this.log(key)
    return true
  }

  /**
   * After the requests of a transaction: drops history beyond the retention (`compactBudget` keys' worth of
   * it), then reclaims up to `reclaimMax` expired keys; returns how many went. Saves the history state.
   */
  upkeep(now: number, reclaimMax: number, compactBudget: number): number {
    this.compact(now, compactBudget)
    const reclaimed = reclaimMax > 0 ? this.reclaim(now, reclaimMax) : 0
    if (this.dirty) this.env.meta.putSync(HISTORY_KEY, encodeHistoryMeta(this.meta))
    return reclaimed
  }

  /** Sets how much history the namespace keeps from now on (null: none; what is kept goes gradually). */
  setRetention(retention: Retention | null, now: number): void {
    const wasKeeping = this.keeping
    this.env.meta.putSync(RETENTION_KEY, Buffer.from(encodeRetention(retention)))
    this.state.retention = retention
    // Starting to keep history: it starts now. Stopping: no past revision can be read from now on.
    if (wasKeeping !== (retention !== null)) {
      this.meta.oldest = this.meta.revision
      this.meta.oldestAt = now
      this.dirty = true
    }
  }

  private log(key: Uint8Array): void {
    const revision = this.current!
    revision.keys.push(key)
    if (revision.keys.length === PART_KEYS) this.writePart(revision)
  }

  /** Writes the keys gathered so far as the revision's next part; the first part carries the header. */
  private writePart(revision: NonNullable<RevisionWriter['current']>): void {
    if (revision.keys.length === 0 && revision.parts > 0) return
    const first = revision.parts === 0
    this.env.log.putSync(logKey(revision.revision, revision.parts), encodePart(first ? revision.header : null, revision.keys), APPEND)
    revision.parts++
    revision.keys = []
  }

  /** Advances `oldest` as the retention says, then removes what revisions up to it left (`budget` keys' worth). */
  private compact(now: number, budget: number): void {
    const meta = this.meta
    if (this.retention === null) {
      if (meta.oldest !== meta.revision) {
        meta.oldest = meta.revision
        meta.oldestAt = now
        this.dirty = true
      }
    } else {
      while (budget > 0 && meta.oldest < meta.revision && this.beyondRetention(meta.oldest + 1, now)) {
        meta.oldestAt = headerTime(this.env.log.getBinaryFast(logKey(meta.oldest + 1, 0))!)
        meta.oldest++
        budget--
        this.dirty = true
      }
    }
    while (budget > 0 && meta.cleaned < meta.oldest) {
      const revision = meta.cleaned + 1
      const key = logKey(revision, meta.cleanedPart)
      const part = this.env.log.get(key)
      this.dirty = true
      if (part === undefined) {
        // Every part is gone (or the revision was written while no history was kept).
        meta.cleaned = revision
        meta.cleanedPart = 0
        budget--
        continue
      }
      const {keys} = decodePart(part, meta.cleanedPart === 0)
      for (const changed of keys) {
        this.dropVersionsBefore(changed, revision)
        const tombstone = versionKey(changed, revision)
        const own = this.env.versions.getBinaryFast(tombstone)
        if (own !== undefined && own.length === 0) this.env.versions.removeSync(tombstone)
      }
      this.env.log.removeSync(key)
      meta.cleanedPart++
      budget -= Math.max(1, keys.length)
    }
  }

  /** Whether revision `revision` (the oldest change kept) is beyond what the retention keeps. */
  private beyondRetention(revision: number, now: number): boolean {
    const {maxAgeMs, maxRevisions} = this.retention!
    if (maxRevisions !== null && this.meta.revision - revision + 1 > maxRevisions) return true
    return maxAgeMs !== null && headerTime(this.env.log.getBinaryFast(logKey(revision, 0))!) <= now - maxAgeMs
  }

  /**
   * Removes up to `max` expired keys. While history is kept, only keys that expired by the oldest revision
   * kept: until then a read of a past revision may need them.
   */
  private reclaim(now: number, max: number): number {
    const meta = this.meta
    const horizon = reclaimHorizon(meta, now)
    // Index keys sort by time first, so everything before `horizon + 1` has expired by then.
    const due = Array.from(this.env.expiryIndex.getKeys({end: encodeTime(horizon + 1), limit: max}))
    let removed = 0
    for (const indexed of due) {
      const key = indexed.subarray(TIME_BYTES)
      const record = this.env.records.getBinaryFast(key)
      const written = record === undefined ? 0 : recordRevision(record)
      // Written already expired after the oldest revision kept: the revisions since read it as absent only while it is there.
      if (written > meta.oldest) continue
      this.dropVersionsBefore(key, written)
      this.env.records.removeSync(key)
      this.env.expiries.removeSync(key)
      this.env.expiryIndex.removeSync(indexed)
      removed++
    }
    return removed
  }

  /** Removes the entries `key` had before revision `revision` (and its tombstones). */
  private dropVersionsBefore(key: Uint8Array, revision: number): void {
    const start = versionKey(key, 0)
    const end = versionKey(key, revision)
    for (const version of Array.from(this.env.versions.getKeys({start, end}))) this.env.versions.removeSync(version)
  }

  /**
   * Forgets the key's expiry (its `expiries` entry and index entry). One look into `expiries`, which holds
   * only the keys that expire: no record is read.
   */
  private dropExpiry(key: Uint8Array): void {
    const time = this.env.expiries.getBinaryFast(key)
    if (time === undefined) return
    const expiresAt = decodeTime(time)
    this.env.expiries.removeSync(key)
    this.env.expiryIndex.removeSync(concat(encodeTime(expiresAt), key))
  }

  private addExpiry(key: Uint8Array, expiresAt: number | null): void {
    if (expiresAt === null) return
    const time = encodeTime(expiresAt)
    this.env.expiries.putSync(key, time)
    this.env.expiryIndex.putSync(concat(time, key), EMPTY)
  }
}

/** `versions`' key for the entry `key` had at `revision`: length first, so one key's entries are one range. */
export function versionKey(key: Uint8Array, revision: number): Buffer {
  const bytes = Buffer.allocUnsafe(2 + key.length + 8)
  bytes.writeUInt16BE(key.length, 0)
  bytes.set(key, 2)
  bytes.writeUInt32BE(Math.floor(revision / 2 ** 32), 2 + key.length)
  bytes.writeUInt32BE(revision >>> 0, 2 + key.length + 4)
  return bytes
}

/** The revision of a `versions` key. */
export function versionRevision(versionKeyBytes: Uint8Array): number {
  const at = versionKeyBytes.length - 8
  const view = new DataView(versionKeyBytes.buffer, versionKeyBytes.byteOffset + at, 8)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}

/** The log's key for part `part` of a revision: the first part is the revision alone, so it sorts first. */
export function logKey(revision: number, part: number): Buffer {
  const bytes = Buffer.allocUnsafe(part === 0 ? 8 : 12)
  bytes.writeUInt32BE(Math.floor(revision / 2 ** 32), 0)
  bytes.writeUInt32BE(revision >>> 0, 4)
  if (part > 0) bytes.writeUInt32BE(part, 8)
  return bytes
}

/** The revision and part of a log key. */
export function logKeyParts(key: Uint8Array): {revision: number; part: number} {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  return {revision: view.getUint32(0) * 2 ** 32 + view.getUint32(4), part: key.length > 8 ? view.getUint32(8) : 0}
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}
