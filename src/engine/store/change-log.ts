import type {ChangeCause, RevisionHeader} from './store.js'

/**
 * The change log's record of one revision, the same bytes on every store (Redis scripts append keys to a
 * header the client built, store/redis/scripts.ts): who made it, when, what it was, and the keys it changed.
 * Whether each key was put or deleted, and what was put, the store reads from the entries themselves.
 *
 *   byte 0       layout of the record (1)
 *   bytes 1..8   when the revision committed, big-endian ms since the epoch
 *   byte 9       length of the operation's name, then the name (ASCII: put, delete, import, ...)
 *   then         2 bytes: length of the actor, then the actor (UTF-8)
 *   then         8 bytes: for a revert, 1 + the revision it went back to (0 for any other operation)
 *   then         the keys, each as 2 bytes of length (big-endian), then the key's bytes
 *
 * LMDB keeps a revision of many keys (an import) in parts: the first holds the header and the first keys,
 * the next ones only keys (PART_KEYS each).
 */
const LAYOUT = 1
/** Keys per part of a long revision (LMDB), and the most a Redis script's revision holds (a chunk is less). */
export const PART_KEYS = 1000

const utf8 = new TextDecoder()

export function encodeHeader(cause: ChangeCause, at: number): Buffer {
  const operation = Buffer.from(cause.operation, 'latin1')
  const actor = Buffer.from(cause.actor, 'utf8')
  const header = Buffer.allocUnsafe(1 + 8 + 1 + operation.length + 2 + actor.length + 8)
  let offset = header.writeUInt8(LAYOUT, 0)
  offset = writeUint64(header, offset, at)
  offset = header.writeUInt8(operation.length, offset)
  offset += operation.copy(header, offset)
  offset = header.writeUInt16BE(actor.length, offset)
  offset += actor.copy(header, offset)
  writeUint64(header, offset, cause.revertedTo === undefined ? 0 : cause.revertedTo + 1)
  return header
}

/** A part's bytes: the header (first part only) then each key, length first. */
export function encodePart(header: Uint8Array | null, keys: readonly Uint8Array[]): Buffer {
  let length = header?.length ?? 0
  for (const key of keys) length += 2 + key.length
  const part = Buffer.allocUnsafe(length)
  let offset = 0
  if (header !== null) {
    part.set(header)
    offset = header.length
  }
  for (const key of keys) {
    offset = part.writeUInt16BE(key.length, offset)
    part.set(key, offset)
    offset += key.length
  }
  return part
}

/** A first part's header, and where it ends; `bytes` may be the part or any prefix that holds the header. */
export function decodeHeader(bytes: Uint8Array): {header: RevisionHeader; end: number} {
  if (bytes[0] !== LAYOUT) throw new Error(`damaged change log: unknown record layout ${bytes[0]}`)
  const at = readUint64(bytes, 1)
  const operationLength = bytes[9]
  const operation = utf8.decode(bytes.subarray(10, 10 + operationLength))
  let offset = 10 + operationLength
  const actorLength = (bytes[offset] << 8) | bytes[offset + 1]
  const actor = utf8.decode(bytes.subarray(offset + 2, offset + 2 + actorLength))
  offset += 2 + actorLength
  if (offset + 8 > bytes.length) throw new Error('damaged change log: a header runs past the end of its record')
  const target = readUint64(bytes, offset)
  return {header: {at, operation, actor, ...(target > 0 ? {revertedTo: target - 1} : {})}, end: offset + 8}
}

/** A part's header (when it is the first part) and keys; the keys are views of `part`. */
export function decodePart(part: Uint8Array, first: boolean): {header: RevisionHeader | null; keys: Uint8Array[]} {
  let offset = 0
  let header: RevisionHeader | null = null
  if (first) {
    const decoded = decodeHeader(part)
    header = decoded.header
    offset = decoded.end
  }
  const keys: Uint8Array[] = []
  while (offset < part.length) {
    const length = (part[offset] << 8) | part[offset + 1]
    if (offset + 2 + length > part.length) throw new Error('damaged change log: a key runs past the end of its record')
    keys.push(part.subarray(offset + 2, offset + 2 + length))
    offset += 2 + length
  }
  return {header, keys}
}

/** When a revision committed, from its first part alone (what retention by age reads). */
export function headerTime(firstPart: Uint8Array): number {
  return readUint64(firstPart, 1)
}

function writeUint64(bytes: Buffer, offset: number, value: number): number {
  bytes.writeUInt32BE(Math.floor(value / 2 ** 32), offset)
  return bytes.writeUInt32BE(value >>> 0, offset + 4)
}

function readUint64(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}
