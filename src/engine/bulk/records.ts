import {KvError, type KvErrorCode} from '../errors.js'
import {expiryTime} from '../entry.js'
import {encodeMetadata, MAX_TTL_SECONDS} from '../limits.js'
import type {PutOptions} from '../namespace.js'
import {recordLocation, type ParsedRecord} from './parse.js'

/**
 * The Workers KV bulk record, as `wrangler kv bulk put` takes it:
 *   {"key": "k", "value": "v", "base64": false, "expiration": 1767225600, "expiration_ttl": 3600, "metadata": {}}
 * `expiration` is seconds since the epoch, `expiration_ttl` seconds from now (it wins when both are given).
 */
export interface BulkRecord {
  key: string
  /** Text, or the decoded bytes when the record had `"base64": true`. */
  value: string | Uint8Array
  options: PutOptions
}

const KNOWN_FIELDS = new Set(['key', 'value', 'base64', 'expiration', 'expiration_ttl', 'metadata'])
const NO_EXPIRY: PutOptions = Object.freeze({})
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Checks records one by one and turns them into puts. Problems a record can have are errors naming the
 * record; fields kv does not know are reported once through `warn`.
 */
export class RecordChecker {
  private warnedUnknown = false

  constructor(
    /** Milliseconds since the epoch: records whose `expiration` is at or before it are skipped. */
    private readonly now: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** The put a record asks for, or null when its absolute expiration has already passed. */
  check(record: ParsedRecord): BulkRecord | null {
    const {data} = record
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw recordError(record, 'VALUE_INVALID', `must be an object like {"key": "k", "value": "v"}, got ${describeJson(data)}`)
    }
    const fields = data as Record<string, unknown>
    for (const field in fields) {
      if (KNOWN_FIELDS.has(field)) continue
      if (!this.warnedUnknown) {
        this.warnedUnknown = true
        this.warn(`${recordLocation(record)}: ignoring unknown field ${JSON.stringify(field)} (and any others like it)`)
      }
    }
    const {key, value, base64, expiration, expiration_ttl: ttl, metadata} = fields
    if (key === undefined) throw recordError(record, 'KEY_INVALID', 'has no "key"')
    if (typeof key !== 'string') throw recordError(record, 'KEY_INVALID', `"key" must be a string, got ${describeJson(key)}`)
    if (value === undefined) throw recordError(record, 'VALUE_INVALID', 'has no "value"')
    if (typeof value !== 'string') {
      throw recordError(record, 'VALUE_INVALID', `"value" must be a string (for bytes: base64 with "base64": true), got ${describeJson(value)}`)
    }
    if (base64 !== undefined && typeof base64 !== 'boolean') throw recordError(record, 'VALUE_INVALID', `"base64" must be true or false, got ${describeJson(base64)}`)

    if (ttl !== undefined && ttl !== null) {
      if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
        throw recordError(record, 'TTL_INVALID', `"expiration_ttl" must be a number of seconds from 0 (exclusive) to ${MAX_TTL_SECONDS} (100 years), got ${describeJson(ttl)}`)
      }
    }
    if (expiration !== undefined && expiration !== null) {
      let expiresAt: number | null
      try {
        expiresAt = expiryTime({expiration: expiration as number}, this.now)
      } catch (error) {
        throw recordError(record, 'TTL_INVALID', (error as Error).message)
      }
      // Passed by the millisecond kv would store: a put would refuse it (newEntry).
      if ((ttl === undefined || ttl === null) && expiresAt! <= this.now) return null
    }

    let options = ttl != null ? {expiresIn: ttl as number} : expiration != null ? {expiration: expiration as number} : NO_EXPIRY
    if (metadata !== undefined && metadata !== null) {
      try {
        encodeMetadata(metadata)
      } catch (error) {
        throw recordError(record, (error as KvError).code, (error as Error).message)
      }
      options = {...options, metadata}
    }
    return {key, value: base64 === true ? decodeBase64(value, record) : value, options}
  }
}

function decodeBase64(text: string, record: ParsedRecord): Uint8Array {
  if (text.length % 4 === 1 || !BASE64.test(text)) throw recordError(record, 'VALUE_INVALID', '"value" is not valid base64 (and "base64" is true)')
  return Buffer.from(text, 'base64')
}

function recordError(record: ParsedRecord, code: KvErrorCode, problem: string): KvError {
  return new KvError(code, `${recordLocation(record)}: ${problem}`)
}

function describeJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'object') return 'an object'
  return String(value)
}
