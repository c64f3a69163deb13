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

/** A cursor is the last key of a page, base64url-encoded: opaque to callers, stable across processes and stores. */
export function encodeCursor(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64url')
}

export function decodeCursor(cursor: unknown): Uint8Array {
  if (typeof cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(cursor)) {
    const key = Buffer.from(cursor, 'base64url')
    if (key.length > 0 && key.length <= MAX_KEY_BYTES) return key
  }
  throw new KvError('CURSOR_INVALID', 'invalid cursor: pass the cursor exactly as a previous list returned it')
}
