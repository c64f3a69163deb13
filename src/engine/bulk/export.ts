import {isUtf8} from 'node:buffer'
import {once} from 'node:events'
import type {Writable} from 'node:stream'

import type {EntryWithName, Namespace} from '../namespace.js'
import type {BulkFormat} from './parse.js'

export interface ExportOptions {
  /** Only keys that start with this prefix. */
  prefix?: string
  /** ndjson (default): one record per line; json: one array, as `wrangler kv bulk put` takes it. */
  format?: BulkFormat
}

/** Text written to the stream at once: large enough to keep syscalls few, small enough to stay bounded. */
const FLUSH_CHARS = 64 * 1024

/**
 * The Workers KV bulk record for one entry: the value as text when it is valid UTF-8, else base64 with
 * `"base64": true`; `expiration` in seconds since the epoch, fractional when the expiry is not on a whole
 * second, so an import reproduces it to the millisecond; `metadata` as stored, when the key has any.
 */
export function bulkRecord({name, value, expiresAt, metadata}: EntryWithName): string {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  const text = isUtf8(bytes)
  let record = `{"key":${JSON.stringify(name)},"value":${JSON.stringify(bytes.toString(text ? 'utf8' : 'base64'))}`
  if (!text) record += ',"base64":true'
  if (expiresAt !== null) record += `,"expiration":${expiresAt / 1000}`
  if (metadata !== null) record += `,"metadata":${JSON.stringify(metadata)}`
  return `${record}}`
}

/**
 * Writes every live key (under `prefix`) in byte order to `out` (from one snapshot on LMDB), waiting for the stream
 * to drain when it is full: memory stays bounded whatever the size of the namespace. Returns the number of
 * records written.
 */
export async function exportBulk(namespace: Namespace, out: Writable, options: ExportOptions = {}): Promise<number> {
  const json = options.format === 'json'
  let failure: Error | undefined
  const onError = (error: Error) => {
    failure ??= error
  }
  out.on('error', onError)
  let pending = json ? '[' : ''
  let count = 0
  const flush = async () => {
    if (failure) throw failure
    const full = !out.write(pending)
    pending = ''
    if (full) await Promise.race([once(out, 'drain'), once(out, 'close')])
    if (failure) throw failure
  }
  try {
    for await (const entry of namespace.entries({prefix: options.prefix})) {
      if (json) pending += count === 0 ? `\n${bulkRecord(entry)}` : `,\n${bulkRecord(entry)}`
      else pending += `${bulkRecord(entry)}\n`
      count++
      if (pending.length >= FLUSH_CHARS) await flush()
    }
    if (json) pending += count === 0 ? ']\n' : '\n]\n'
    if (pending) await flush()
  } finally {
    out.off('error', onError)
  }
  return count
}
