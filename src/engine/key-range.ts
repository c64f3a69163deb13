import {KvError} from './errors.js'
import {MAX_KEY_BYTES} from './limits.js'

/** Byte-order arithmetic on keys, for prefixes, pages and cursors. */

/** The first key after every key that starts with `prefix`, or undefined when there is none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] < 0xff) {
      // A copy: keys may be Buffers, whose slice() is a view of the same bytes.
      const end = new Uint8Array(prefix.subarray(0, i + 1))
      end[i]++
      return end
    }
  }
  return undefined
}

/** The smallest key greater than `key`. */
export function successor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1)
  next.set(key)
  return next
}

export function maxBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Buffer.compare(a, b) >= 0 ? a : b
}

/** The first byte of every cursor's bytes: another layout would get another number. */
const CURSOR_VERSION = 1
/** Bytes of the check that ends a cursor. */
const CHECK_BYTES = 4

/**
 * A cursor is the last key of a page, with a version byte before it and a check of both after it, in
 * base64url: opaque to callers, stable across processes and stores. The check makes text kv did not write
 * (`null` from a script's jq, any base64url) an error instead of a place to list from.
 */
export function encodeCursor(key: Uint8Array): string {
  const bytes = Buffer.alloc(1 + key.length + CHECK_BYTES)
  bytes[0] = CURSOR_VERSION
  bytes.set(key, 1)
  bytes.writeUInt32BE(checkOf(bytes.subarray(0, 1 + key.length)), 1 + key.length)
  return bytes.toString('base64url')
}

/** The key a cursor from `encodeCursor` continues after. */
export function decodeCursor(cursor: unknown): Uint8Array {
  if (typeof cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(cursor)) {
    const bytes = Buffer.from(cursor, 'base64url')
    const keyEnd = bytes.length - CHECK_BYTES
    const made = keyEnd > 1 && keyEnd <= 1 + MAX_KEY_BYTES && bytes[0] === CURSOR_VERSION && bytes.toString('base64url') === cursor
    if (made && bytes.readUInt32BE(keyEnd) === checkOf(bytes.subarray(0, keyEnd))) return bytes.subarray(1, keyEnd)
    if (cursor === 'null') throw new KvError('CURSOR_INVALID', 'invalid cursor "null": a complete list has cursor null, and nothing follows it')
    throw new KvError('CURSOR_INVALID', `invalid cursor ${JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor)}: not one kv made; pass the cursor a previous list returned, exactly`)
  }
  throw new KvError('CURSOR_INVALID', 'invalid cursor: pass the cursor a previous list returned, exactly')
}

/** FNV-1a, 32 bits: enough to tell a cursor kv made from other text (node:crypto would cost every start). */
function checkOf(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193)
  return hash >>> 0
}
