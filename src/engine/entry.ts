import {KvError} from './errors.js'
import {checkExpiration, checkTtl, decodeVersion, encodeMetadata, encodeValue, type ValueInput} from './limits.js'
import type {NewEntry, Precondition, StoredEntry} from './store/store.js'
import type {Entry, PutOptions, ValueType, WriteOptions} from './types.js'

/** Between the binding's values and options and what a store keeps: one meaning of each option, here. */

const utf8Decoder = new TextDecoder()

export function toEntry(stored: StoredEntry): Entry {
  return {
    value: stored.value,
    expiresAt: stored.expiresAt,
    metadata: parseStored(stored.metadata),
    version: Buffer.from(stored.version.buffer, stored.version.byteOffset, stored.version.byteLength).toString('hex'),
    revision: stored.revision,
  }
}

export function parseStored(metadata: string | null): unknown {
  return metadata === null ? null : JSON.parse(metadata)
}

export function decodeValue(key: string, value: Uint8Array, wanted: ValueType): unknown {
  if (wanted === 'bytes') return value
  const text = utf8Decoder.decode(value)
  if (wanted === 'text') return text
  if (wanted === 'json') {
    try {
      return JSON.parse(text)
    } catch {
      throw new KvError('VALUE_INVALID', `the value of key ${JSON.stringify(key)} is not valid JSON`)
    }
  }
  throw new KvError('VALUE_INVALID', `unknown value type ${JSON.stringify(wanted)}: use "text", "json" or "bytes"`)
}

/**
 * A put's entry. An `expiration` at or before `now` is refused (TTL_INVALID): the key could never be read, and
 * writing it would silently remove the value it had (`{expiration: 3600}` meant as a TTL is 1970). A TTL is
 * never refused for that: however small, it keeps the key for a millisecond.
 */
export function newEntry(value: ValueInput, options: WriteOptions | undefined, now: number): NewEntry {
  const expiresAt = expiryTime(options, now)
  if (expiresAt !== null && expiresAt <= now) {
    throw new KvError(
      'TTL_INVALID',
      `expiration ${options!.expiration} (${new Date(expiresAt).toISOString()}) has already passed: it is seconds since the epoch; for a time to live use expiresIn`,
    )
  }
  return {value: encodeValue(value), expiresAt, metadata: encodeMetadata(options?.metadata)}
}

export function precondition(options: PutOptions | undefined): Precondition | undefined {
  if (options?.ifAbsent && options.ifVersion !== undefined) {
    throw new KvError('USAGE', 'ifAbsent and ifVersion cannot be combined: a key cannot be both missing and at a version')
  }
  if (options?.ifAbsent) return {absent: true}
  if (options?.ifVersion !== undefined) return {version: decodeVersion(options.ifVersion)}
  return undefined
}

/** When a put's key expires (whole ms since the epoch), or null when it does not. */
export function expiryTime(options: WriteOptions | undefined, now: number): number | null {
  if (options?.expiresIn != null) {
    // Ceil: a positive TTL always leaves the key alive for at least a millisecond.
    return Math.floor(now) + Math.ceil(checkTtl(options.expiresIn) * 1000)
  }
  if (options?.expiration != null) return Math.floor(checkExpiration(options.expiration, now) * 1000)
  return null
}

/** A counter's stored text: an optionally signed decimal integer, surrounding whitespace allowed. */
export function parseCounter(key: string, value: Uint8Array): number {
  const text = utf8Decoder.decode(value).trim()
  const number = Number(text)
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(number)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text
    throw new KvError('VALUE_INVALID', `the value of key ${JSON.stringify(key)} is not an integer (${JSON.stringify(shown)}); incr needs one`)
  }
  return number
}

/** Whether an entry with this expiry time is live at `now` (an expired key is never returned, listed or counted). */
export function isLiveAt(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || expiresAt > now
}
