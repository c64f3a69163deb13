import {KvError} from '../errors.js'
import type {Namespace} from '../namespace.js'
import {parseBulk, recordLocation, type BulkFormat} from './parse.js'
import {RecordChecker} from './records.js'

export interface ImportOptions {
  /** Forces the format; by default the first non-whitespace character decides (`[` json, `{` ndjson). */
  format?: BulkFormat
  /** Milliseconds since the epoch, to decide which absolute expirations have passed (default Date.now()). */
  now?: number
  /** Told once about each kind of field that is ignored (metadata, unknown fields). */
  onWarning?: (message: string) => void
  /** Called after each chunk of input with the records read so far. */
  onProgress?: (records: number) => void | Promise<void>
}

export interface ImportResult {
  /** Records written. */
  imported: number
  /** Records skipped because their absolute `expiration` had already passed. */
  skipped: number
}

/**
 * Imports a Workers KV bulk file (JSON array or NDJSON) as one transaction: every record is validated and
 * written, or, at the first bad record, nothing is. The input streams through, so its size is not bounded
 * by memory; the namespace's write lock is held until the input ends.
 */
export async function importBulk(namespace: Namespace, source: AsyncIterable<Uint8Array | string>, options: ImportOptions = {}): Promise<ImportResult> {
  const checker = new RecordChecker(options.now ?? Date.now(), options.onWarning ?? (() => {}))
  return namespace.batch(async (batch) => {
    let imported = 0
    let skipped = 0
    for await (const records of parseBulk(source, options.format)) {
      for (const record of records) {
        const put = checker.check(record)
        if (put === null) {
          skipped++
          continue
        }
        try {
          batch.put(put.key, put.value, put.options)
        } catch (error) {
          // The key and value limits are checked by the put itself: say which record broke them.
          if (error instanceof KvError) throw new KvError(error.code, `${recordLocation(record)}: ${error.message}`)
          throw error
        }
        imported++
      }
      await options.onProgress?.(imported + skipped)
    }
    return {imported, skipped}
  })
}
