import {KvError} from './errors.js'

export const MAX_KEY_BYTES = 512
/** 25 MiB. */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024
export const DEFAULT_LIST_LIMIT = 1000
/** One page of a list can hold at most this many keys; callers page with the cursor for more. */
export const MAX_LIST_LIMIT = 100_000
/** 100 years: far beyond any cache or session, small enough that expiry times stay exact integers. */
export const MAX_TTL_SECONDS = 100 * 365 * 24 * 60 * 60
export const MAX_NAMESPACE_NAME_LENGTH = 64
/** Metadata, as Workers KV limits it: any JSON value whose serialization is at most this many bytes. */
export const MAX_METADATA_BYTES = 1024

/** Encodes a key to the UTF-8 bytes it is stored under, after checking the key limits. */
export function encodeKey(key: unknown): Uint8Array {
  if (key === '') throw new KvError('KEY_INVALID', 'key is empty; a key is 1 to 512 bytes of UTF-8')
  const bytes = keyText(key, 'key')
  if (bytes.length > MAX_KEY_BYTES) {
    throw new KvError('KEY_TOO_LONG', `key is ${bytes.length} bytes; the limit is ${MAX_KEY_BYTES} bytes`)
  }
  return bytes
}

/** Where `lookupKey` writes: room for any string of up to MAX_KEY_BYTES UTF-16 units (3 bytes each at most). */
const lookupBuffer = Buffer.allocUnsafeSlow(3 * MAX_KEY_BYTES)
/** Views of its first n bytes, made once each. */
const lookupViews: Uint8Array[] = []

/**
 * `encodeKey` for a lookup that is done with the bytes before it returns (a get): they are written into a
 * buffer the next call writes over, so a get allocates nothing for its key. Same checks and errors.
 */
export function lookupKey(key: unknown): Uint8Array {
  if (typeof key === 'string' && key !== '' && key.length <= MAX_KEY_BYTES && key.isWellFormed()) {
    const length = lookupBuffer.write(key, 0, 'utf8')
    if (length <= MAX_KEY_BYTES) return (lookupViews[length] ??= new Uint8Array(lookupBuffer.buffer, lookupBuffer.byteOffset, length))
  }
  return encodeKey(key)
}

/** A list prefix's bytes, or null when no key can have it (it is longer than any key). */
export function encodePrefix(prefix: unknown): Uint8Array | null {
  if (prefix === undefined) return new Uint8Array(0)
  const bytes = keyText(prefix, 'prefix')
  return bytes.length > MAX_KEY_BYTES ? null : bytes
}

/** Keys and prefixes are strings of well-formed Unicode, compared as UTF-8 bytes. */
function keyText(text: unknown, what: 'key' | 'prefix'): Uint8Array {
  if (typeof text !== 'string') throw new KvError('KEY_INVALID', `${what} must be a string, got ${describe(text)}`)
  // A lone surrogate would be stored as U+FFFD and read back as a different key.
  if (!text.isWellFormed()) throw new KvError('KEY_INVALID', `${what} is not valid Unicode (it contains a lone surrogate)`)
  return utf8Bytes(text)
}

/**
 * Small strings are encoded into Node's shared buffer pool: unlike TextEncoder, which allocates an
 * ArrayBuffer per call, this keeps the binding's per-call cost near raw lmdb-js (the bench's library rows).
 */
function utf8Bytes(text: string): Uint8Array {
  const pooled = Buffer.from(text, 'utf8')
  // A plain Uint8Array view: a Buffer's slice() shares memory where Uint8Array's copies, and callers rely on the copy.
  return new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.length)
}

export type ValueInput = string | Uint8Array | ArrayBuffer | ArrayBufferView

/** Encodes a value to the bytes that are stored, after checking the value limit. */
export function encodeValue(value: ValueInput): Uint8Array {
  let bytes: Uint8Array
  if (typeof value === 'string') {
    if (!value.isWellFormed()) {
      throw new KvError('VALUE_INVALID', 'value is not valid Unicode (it contains a lone surrogate); pass bytes instead')
    }
    bytes = utf8Bytes(value)
  } else if (value instanceof Uint8Array) bytes = value
  else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value)
  else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  else throw new KvError('VALUE_INVALID', `value must be a string or bytes, got ${describe(value)}`)
  checkValueSize(bytes.length)
  return bytes
}

export function checkValueSize(byteLength: number, atLeast = false): void {
  if (byteLength > MAX_VALUE_BYTES) {
    const size = atLeast ? `more than ${MAX_VALUE_BYTES}` : String(byteLength)
    throw new KvError('VALUE_TOO_LARGE', `value is ${size} bytes; the limit is ${MAX_VALUE_BYTES} bytes (25 MiB)`)
  }
}

/**
 * Serializes a put's metadata (any JSON value) after checking its limit; null or undefined means none. The
 * text is what is stored and what a get parses back.
 */
export function encodeMetadata(metadata: unknown): string | null {
  if (metadata === undefined || metadata === null) return null
  let text: string | undefined
  try {
    text = JSON.stringify(metadata)
  } catch (error) {
    throw new KvError('METADATA_INVALID', `metadata must be a JSON value: ${(error as Error).message}`)
  }
  if (text === undefined) throw new KvError('METADATA_INVALID', `metadata must be a JSON value, got ${describe(metadata)}`)
  checkMetadataSize(Buffer.byteLength(text))
  return text
}

/** Parses metadata given as JSON text (the CLI's --metadata, a bulk record's field) after checking its limit. */
export function parseMetadata(text: string): string | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new KvError('METADATA_INVALID', `metadata is not valid JSON (${(error as Error).message})`)
  }
  return encodeMetadata(value)
}

function checkMetadataSize(bytes: number): void {
  if (bytes > MAX_METADATA_BYTES) {
    throw new KvError('METADATA_TOO_LARGE', `metadata is ${bytes} bytes of JSON; the limit is ${MAX_METADATA_BYTES} bytes`)
  }
}

/** A version as the library hands it out (Entry.version): 16 hex digits. */
export function decodeVersion(version: unknown): Uint8Array {
  if (typeof version !== 'string' || !/^[0-9a-f]{16}$/.test(version)) {
    throw new KvError('VERSION_INVALID', `invalid version ${describe(version)}: pass the version exactly as getEntry returned it`)
  }
  return Buffer.from(version, 'hex')
}

/** Checks a time-to-live in seconds, as the binding's `expiresIn` takes it. */
export function checkTtl(expiresIn: unknown): number {
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new KvError('TTL_INVALID', `expiresIn must be a positive number of seconds, got ${describe(expiresIn)}`)
  }
  if (expiresIn > MAX_TTL_SECONDS) {
    throw new KvError('TTL_INVALID', `expiresIn is ${expiresIn} seconds; the limit is ${MAX_TTL_SECONDS} seconds (100 years)`)
  }
  return expiresIn
}

/**
 * Checks an absolute expiry time in seconds since the epoch (Workers KV's `expiration`). It may be in the
 * past (the key is then already expired); it may not be further ahead than the longest TTL.
 */
export function checkExpiration(expiration: unknown, now: number): number {
  if (typeof expiration !== 'number' || !Number.isFinite(expiration) || expiration <= 0) {
    throw new KvError('TTL_INVALID', `expiration must be a positive number of seconds since the epoch, got ${describe(expiration)}`)
  }
  if (expiration * 1000 - now > MAX_TTL_SECONDS * 1000) {
    throw new KvError('TTL_INVALID', `expiration ${expiration} is more than ${MAX_TTL_SECONDS} seconds (100 years) from now`)
  }
  return expiration
}

/** A safe integer, for counters and their increments. */
export function checkInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new KvError('VALUE_INVALID', `${what} must be an integer from -(2^53-1) to 2^53-1, got ${describe(value)}`)
  }
  return value
}

/** The longest actor a change records, in bytes of UTF-8. */
export const MAX_ACTOR_BYTES = 256

/** Checks who a write says made it: 1 to 256 bytes of text without control characters. */
export function checkActor(actor: unknown): string {
  if (typeof actor !== 'string' || actor === '' || !actor.isWellFormed() || /[\u0000-\u001f\u007f]/.test(actor)) {
    throw new KvError('ACTOR_INVALID', `invalid actor ${describe(actor)}: use 1 to ${MAX_ACTOR_BYTES} bytes of text without control characters`)
  }
  const bytes = Buffer.byteLength(actor)
  if (bytes > MAX_ACTOR_BYTES) throw new KvError('ACTOR_INVALID', `actor is ${bytes} bytes; the limit is ${MAX_ACTOR_BYTES} bytes`)
  return actor
}

/** A revision as the library takes it: a whole number from 0. */
export function checkRevision(revision: unknown, what = 'revision'): number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw new KvError('REVISION_INVALID', `${what} must be a whole number from 0, got ${describe(revision)}`)
  }
  return revision
}

/** Parses a CLI revision (`--revision`, `--to`). */
export function parseRevision(text: string, what = 'revision'): number {
  if (!/^\d+$/.test(text.trim())) throw new KvError('REVISION_INVALID', `${what} must be a whole number from 0, got ${describe(text)}`)
  return checkRevision(Number(text), what)
}

const TTL_UNITS: Record<string, number> = {'': 1, s: 1, m: 60, h: 3600, d: 86_400}

/**
 * Parses a CLI time-to-live: seconds (`90`), or a number with a unit (`90s`, `30m`, `1h`, `7d`). Every bad TTL
 * gets the same words, the CLI's (checkTtl speaks of the library's `expiresIn`).
 */
export function parseTtl(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim())
  const seconds = match === null ? Number.NaN : Number(match[1]) * TTL_UNITS[match[2]]
  if (!(seconds > 0 && seconds <= MAX_TTL_SECONDS)) {
    throw new KvError('TTL_INVALID', `invalid TTL ${describe(text)}: use more than 0 seconds and at most 100 years, as seconds or a number with s, m, h or d (90s, 30m, 1h, 7d)`)
  }
  return seconds
}

/**
 * Parses a CLI history setting: `off`, an age (`30d`, `12h`: a number with s, m, h or d), a count of revisions
 * (`10000`), or both (`30d,10000`): changes go once older than the age or beyond the newest count.
 */
export function parseRetention(text: string): false | {maxAge: number | null; maxRevisions: number | null} {
  const trimmed = text.trim()
  if (trimmed === 'off') return false
  let maxAge: number | null = null
  let maxRevisions: number | null = null
  const parts = trimmed.split(',').map((part) => part.trim())
  for (const part of parts) {
    const age = /^(\d+(?:\.\d+)?)([smhd])$/.exec(part)
    if (age !== null && maxAge === null) maxAge = Number(age[1]) * TTL_UNITS[age[2]]
    else if (/^\d+$/.test(part) && maxRevisions === null) maxRevisions = Number(part)
    else throw retentionInvalid(`invalid history setting ${describe(text)}`)
  }
  return checkRetention({maxAge, maxRevisions})
}

/** Checks a history retention: `false`, or an age in seconds and/or a count of revisions, each positive. */
export function checkRetention(retention: unknown): false | {maxAge: number | null; maxRevisions: number | null} {
  if (retention === false) return false
  if (typeof retention !== 'object' || retention === null) throw retentionInvalid(`invalid history setting ${describe(retention)}`)
  const {maxAge = null, maxRevisions = null} = retention as {maxAge?: unknown; maxRevisions?: unknown}
  if (maxAge !== null && (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 1 || maxAge > MAX_TTL_SECONDS)) {
    throw retentionInvalid(`history age must be 1 second to ${MAX_TTL_SECONDS} seconds (100 years), got ${describe(maxAge)}`)
  }
  if (maxRevisions !== null && (typeof maxRevisions !== 'number' || !Number.isSafeInteger(maxRevisions) || maxRevisions < 1)) {
    throw retentionInvalid(`history count must be a whole number of revisions from 1, got ${describe(maxRevisions)}`)
  }
  if (maxAge === null && maxRevisions === null) throw retentionInvalid('history needs an age, a count of revisions, or both')
  return {maxAge: maxAge as number | null, maxRevisions: maxRevisions as number | null}
}

function retentionInvalid(problem: string): KvError {
  return new KvError('RETENTION_INVALID', `${problem}: use off, an age (30d, 12h), a count of revisions (10000), or both (30d,10000)`)
}

export function checkListLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new KvError('LIMIT_INVALID', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${describe(limit)}`)
  }
  return limit
}

const NAMESPACE_NAME = /^[a-z0-9][a-z0-9._-]*$/

/** Namespace names become directory names, so anything that could leave the data dir is rejected. */
export function checkNamespaceName(name: unknown): string {
  if (typeof name !== 'string' || name.length > MAX_NAMESPACE_NAME_LENGTH || !NAMESPACE_NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : describe(name)
    throw new KvError(
      'NAMESPACE_NAME_INVALID',
      `invalid namespace name ${shown}: use 1 to ${MAX_NAMESPACE_NAME_LENGTH} lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`,
    )
  }
  return name
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}

/** Parses a CLI `--limit`. */
export function parseListLimit(text: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new KvError('LIMIT_INVALID', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${describe(text)}`)
  }
  return checkListLimit(Number(text))
}
