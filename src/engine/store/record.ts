import type {NewEntry, StoredEntry, StoredKey} from './store.js'

/**
 * The bytes one key is stored as, by every store: a fixed header, the metadata, then the value, so a get is
 * one lookup and a list reads only the head of each record.
 *
 *   offset 0      flags: bit 0 the key expires, bit 1 it has metadata, bit 2 offsets 1..8 hold a revision
 *   offset 1..8   the revision that wrote the record (storage format 3), big-endian; what conditional writes
 *                 compare. A record written before format 3 has bit 2 clear and a random version here: its
 *                 revision is 0 (it was written before the namespace kept revisions).
 *   offset 9..16  expiry time, big-endian milliseconds since the epoch (zero when it never expires)
 *   offset 17..18 metadata length, big-endian (only with bit 1), then that many bytes of JSON text
 *   then          the value, to the end
 *
 * Redis scripts read and stamp revisions at these fixed offsets (store/redis/scripts.ts): keep them in step.
 */
export const VERSION_BYTES = 8
const FLAGS = 0
const VERSION = 1
const EXPIRY = 9
const HEADER_BYTES = 17
const METADATA_LENGTH_BYTES = 2
/** The longest head a list needs: header, metadata length and the longest metadata (limits.ts allows 1024). */
export const MAX_HEAD_BYTES = HEADER_BYTES + METADATA_LENGTH_BYTES + 1024

const EXPIRES = 1
const HAS_METADATA = 2
const REVISIONED = 4

const utf8 = new TextDecoder()

/**
 * The record of `entry`, written at `revision`. A store that learns the revision only as it commits (a Redis
 * script) passes 0 and stamps it there, at offset 1 (`stampRevision` does the same here).
 */
export function encodeRecord(entry: NewEntry, revision: number): Uint8Array {
  const metadata = entry.metadata === null ? null : Buffer.from(entry.metadata, 'utf8')
  const headBytes = HEADER_BYTES + (metadata === null ? 0 : METADATA_LENGTH_BYTES + metadata.length)
  const record = Buffer.allocUnsafe(headBytes + entry.value.length)
  record[FLAGS] = (entry.expiresAt === null ? 0 : EXPIRES) | (metadata === null ? 0 : HAS_METADATA) | REVISIONED
  writeUint64(record, VERSION, revision)
  writeUint64(record, EXPIRY, entry.expiresAt ?? 0)
  if (metadata !== null) {
    record.writeUInt16BE(metadata.length, HEADER_BYTES)
    record.set(metadata, HEADER_BYTES + METADATA_LENGTH_BYTES)
  }
  record.set(entry.value, headBytes)
  return record
}

/** Sets the revision of a record encoded with 0 (in place). */
export function stampRevision(record: Uint8Array, revision: number): void {
  writeUint64(record, VERSION, revision)
}

/** The version a record was stamped with: a view of its bytes. */
export function recordVersion(record: Uint8Array): Uint8Array {
  return record.subarray(VERSION, VERSION + VERSION_BYTES)
}

/** The revision that wrote a record (0: written before the namespace kept revisions). */
export function recordRevision(record: Uint8Array): number {
  if ((record[FLAGS] & REVISIONED) === 0) return 0
  return uint32At(record, VERSION) * 2 ** 32 + uint32At(record, VERSION + 4)
}

/** The entry a record holds; the value is a view of the record's bytes, not a copy. */
export function decodeRecord(record: Uint8Array): StoredEntry {
  const {expiresAt, metadata, valueOffset} = decodeHead(record)
  return {value: record.subarray(valueOffset), expiresAt, metadata, version: recordVersion(record), revision: recordRevision(record)}
}

/** What a list needs from a record, read from its head (at least MAX_HEAD_BYTES of it, or all of it). */
export function decodeKey(key: Uint8Array, head: Uint8Array): StoredKey {
  const {expiresAt, metadata} = decodeHead(head)
  return {key, expiresAt, metadata, revision: recordRevision(head)}
}

/** How many bytes the value of a record holds, from its head alone (`fullLength`: the record's length). */
export function valueSizeOf(head: Uint8Array, fullLength: number): number {
  return fullLength - valueOffset(head)
}

export function recordExpiry(record: Uint8Array): number | null {
  if ((record[FLAGS] & EXPIRES) === 0) return null
  // By hand, not through a DataView: this runs on every get, and a DataView is an allocation.
  return uint32At(record, EXPIRY) * 2 ** 32 + uint32At(record, EXPIRY + 4)
}

/** A whole number below 2^53, big-endian in 8 bytes. */
function writeUint64(bytes: Uint8Array, at: number, value: number): void {
  writeUint32(bytes, at, Math.floor(value / 2 ** 32))
  writeUint32(bytes, at + 4, value >>> 0)
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

function uint32At(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3])
}

/**
 * The record's value as a plain view of its bytes (no copy, and no Buffer: a Buffer's subarray costs more),
 * for a reader that decodes it at once: what `Store.getValue` hands its `decode`.
 */
export function recordValue(record: Uint8Array): Uint8Array {
  const offset = valueOffset(record)
  return new Uint8Array(record.buffer, record.byteOffset + offset, record.length - offset)
}

/** Where the value starts: after the header, and after the metadata when there is some. */
function valueOffset(record: Uint8Array): number {
  if (record.length < HEADER_BYTES) throw new Error(`damaged record: ${record.length} bytes, shorter than its ${HEADER_BYTES}-byte header`)
  if ((record[FLAGS] & HAS_METADATA) === 0) return HEADER_BYTES
  const end = HEADER_BYTES + METADATA_LENGTH_BYTES + ((record[HEADER_BYTES] << 8) | record[HEADER_BYTES + 1])
  if (record.length < end) throw new Error('damaged record: its metadata runs past its end')
  return end
}

function decodeHead(record: Uint8Array): {expiresAt: number | null; metadata: string | null; valueOffset: number} {
  const offset = valueOffset(record)
  const start = HEADER_BYTES + METADATA_LENGTH_BYTES
  const metadata = offset === HEADER_BYTES ? null : utf8.decode(record.subarray(start, offset))
  return {expiresAt: recordExpiry(record), metadata, valueOffset: offset}
}

/**
 * What is wrong with a stored record, or undefined when kv could have written it: the header, the flags,
 * a zero expiry time where the key never expires, metadata that fits and is JSON (`kv ns check`).
 */
export function recordDamage(record: Uint8Array): string | undefined {
  if (record.length < HEADER_BYTES) return `its record is ${record.length} bytes, shorter than the ${HEADER_BYTES}-byte header`
  if ((record[FLAGS] & ~(EXPIRES | HAS_METADATA | REVISIONED)) !== 0) return `its record has unknown flags 0x${record[FLAGS].toString(16)}`
  if ((record[FLAGS] & EXPIRES) === 0 && (uint32At(record, EXPIRY) !== 0 || uint32At(record, EXPIRY + 4) !== 0)) {
    return 'its record never expires but holds an expiry time'
  }
  if ((record[FLAGS] & HAS_METADATA) === 0) return undefined
  const length = record.length >= HEADER_BYTES + METADATA_LENGTH_BYTES ? (record[HEADER_BYTES] << 8) | record[HEADER_BYTES + 1] : -1
  const start = HEADER_BYTES + METADATA_LENGTH_BYTES
  if (length < 0 || record.length < start + length) return 'its record\'s metadata runs past its end'
  try {
    JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(record.subarray(start, start + length)))
  } catch {
    return 'its record\'s metadata is not JSON text'
  }
  return undefined
}

/** Whether two versions are the same bytes. */
export function sameVersion(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}
