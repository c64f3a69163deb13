import {MAX_KEY_BYTES, MAX_METADATA_BYTES, MAX_VALUE_BYTES} from '../../engine/limits.js'
import type {WriteOptions} from '../../engine/types.js'
import type {KVNamespaceListOptions, KVNamespacePutOptions, KVValueType} from './types.js'

/**
 * Workers KV's own rules, stricter than kv's and checked before the engine sees a call: key names, the
 * 60-second minimum TTL, list and bulk-get limits, cacheTtl. Error types and messages are the runtime's
 * (workerd's KV binding, and Miniflare's KV service where the runtime hands a check to the service), so code
 * that matches on them runs unchanged: a TypeError for what the binding rejects itself, and an Error
 * `KV <METHOD> failed: <status> <reason>` for what the service answers with an HTTP error.
 */

/** What the runtime names a call in its errors. A list is a GET too. */
export type KvMethod = 'GET' | 'GET_BULK' | 'PUT' | 'DELETE'

export const MIN_EXPIRATION_TTL_SECONDS = 60
export const MIN_CACHE_TTL_SECONDS = 30
export const MAX_LIST_KEYS = 1000
export const MAX_BULK_GET_KEYS = 100

/** The error a failed KV request rejects with in a Worker: `KV PUT failed: 413 Value length of …`. */
export function kvFailure(method: KvMethod, status: number, reason: string): Error {
  return new Error(`KV ${method} failed: ${status} ${reason}`)
}

/**
 * A key name as the binding sends it: any value made a string, its lone surrogates replaced (the runtime
 * converts keys to UTF-8 that way), and checked against Workers' rules.
 */
export function keyName(method: KvMethod, key: unknown): string {
  const name = String(key).toWellFormed()
  if (name === '') throw new TypeError('Key name cannot be empty.')
  if (name === '.' || name === '..') throw new TypeError(`"${name}" is not allowed as a key name.`)
  checkKeyLength(method, name)
  return name
}

function checkKeyLength(method: KvMethod, text: string): void {
  const length = Buffer.byteLength(text)
  if (length > MAX_KEY_BYTES) {
    throw kvFailure(method, 414, `UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY_BYTES}.`)
  }
}

/**
 * A number option as the runtime converts it (WebIDL): anything becomes a number, then an integer; what is
 * not a number becomes 0 (so `expirationTtl: "soon"` fails as "of 0", as it does in a Worker).
 */
function integerOption(value: unknown): number {
  const number = Number(value)
  return Number.isFinite(number) ? Math.trunc(number) : 0
}

/** The value type a get asks for (`'text'` by default), after checking its cacheTtl. */
export function getType(method: 'GET' | 'GET_BULK', typeOrOptions: unknown): KVValueType {
  let type: unknown = 'text'
  if (typeof typeOrOptions === 'string') type = typeOrOptions
  else if (typeOrOptions != null && typeof typeOrOptions === 'object') {
    const options = typeOrOptions as {type?: unknown; cacheTtl?: unknown}
    if (options.type !== undefined) type = String(options.type)
    if (options.cacheTtl !== undefined) {
      const cacheTtl = integerOption(options.cacheTtl)
      if (cacheTtl < MIN_CACHE_TTL_SECONDS) {
        throw kvFailure(method, 400, `Invalid cache_ttl of ${cacheTtl}. Cache TTL must be at least ${MIN_CACHE_TTL_SECONDS}.`)
      }
    }
  }
  if (method === 'GET_BULK') {
    if (type !== 'text' && type !== 'json') throw kvFailure(method, 400, `"${String(type)}" is not a valid type. Use "json" or "text"`)
    return type
  }
  if (type !== 'text' && type !== 'json' && type !== 'arrayBuffer' && type !== 'stream') {
    throw new TypeError('Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".')
  }
  return type
}

export function checkBulkKeyCount(count: number): void {
  if (count > MAX_BULK_GET_KEYS) throw kvFailure('GET_BULK', 400, `You can request a maximum of ${MAX_BULK_GET_KEYS} keys`)
  if (count < 1) throw kvFailure('GET_BULK', 400, 'You must request a minimum of 1 key')
}

/** A bulk get answers with at most 25 MiB of values. */
export function checkBulkSize(bytes: number): void {
  if (bytes > MAX_VALUE_BYTES) throw kvFailure('GET_BULK', 413, `Total size of request exceeds the limit of ${MAX_VALUE_BYTES / 1024 / 1024}MB`)
}

/**
 * A put's options in the engine's terms, after Workers' checks: a TTL of at least 60 seconds, an expiration at
 * least 60 seconds ahead of `nowSeconds` (`expirationTtl` wins when both are given), metadata of at most
 * 1024 bytes of JSON.
 */
export function writeOptions(options: KVNamespacePutOptions | undefined, nowSeconds: number): WriteOptions {
  const written: WriteOptions = {}
  if (options?.expirationTtl != null) {
    const ttl = integerOption(options.expirationTtl)
    const invalid = `Invalid expiration_ttl of ${ttl}.`
    if (ttl <= 0) throw kvFailure('PUT', 400, `${invalid} Please specify integer greater than 0.`)
    if (ttl < MIN_EXPIRATION_TTL_SECONDS) throw kvFailure('PUT', 400, `${invalid} Expiration TTL must be at least ${MIN_EXPIRATION_TTL_SECONDS}.`)
    written.expiresIn = ttl
  } else if (options?.expiration != null) {
    const expiration = integerOption(options.expiration)
    const invalid = `Invalid expiration of ${expiration}.`
    if (expiration <= nowSeconds) {
      throw kvFailure('PUT', 400, `${invalid} Please specify integer greater than the current number of seconds since the UNIX epoch.`)
    }
    if (expiration < nowSeconds + MIN_EXPIRATION_TTL_SECONDS) {
      throw kvFailure('PUT', 400, `${invalid} Expiration times must be at least ${MIN_EXPIRATION_TTL_SECONDS} seconds in the future.`)
    }
    written.expiration = expiration
  }
  if (options?.metadata != null) {
    // Measured as the runtime sends it (JSON.stringify may throw, as it does there); the engine stores the same
    // text, and rejects what has none (a function).
    const json = JSON.stringify(options.metadata) as string | undefined
    const length = json === undefined ? 0 : Buffer.byteLength(json)
    if (length > MAX_METADATA_BYTES) throw kvFailure('PUT', 413, `Metadata length of ${length} exceeds limit of ${MAX_METADATA_BYTES}.`)
    written.metadata = options.metadata
  }
  return written
}

export function valueTooLarge(length: number): Error {
  return kvFailure('PUT', 413, `Value length of ${length} exceeds limit of ${MAX_VALUE_BYTES}.`)
}

/** A list's options in the engine's terms, after Workers' checks. */
export function listOptions(options: KVNamespaceListOptions | undefined): {prefix?: string; limit: number; cursor?: string} {
  // The runtime sends a limit only when it is positive: 0 (or what converts to 0) means the default.
  const limit = options?.limit == null ? 0 : integerOption(options.limit)
  if (limit > MAX_LIST_KEYS) {
    throw kvFailure('GET', 400, `Invalid key_count_limit of ${limit}. Please specify an integer less than ${MAX_LIST_KEYS}.`)
  }
  const prefix = options?.prefix == null ? undefined : String(options.prefix).toWellFormed()
  if (prefix !== undefined) checkKeyLength('GET', prefix)
  // An empty cursor is the start, as a first page's.
  const cursor = options?.cursor == null || options.cursor === '' ? undefined : String(options.cursor)
  return {prefix, limit: limit > 0 ? limit : MAX_LIST_KEYS, cursor}
}

/** A cursor no list handed out. */
export function invalidCursor(cause: unknown): Error {
  const error = kvFailure('GET', 400, 'Invalid cursor: pass the cursor exactly as a previous list returned it.')
  error.cause = cause
  return error
}
