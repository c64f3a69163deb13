import type {Namespace, PutRecord, Revisions} from '../namespace.js'
import {parseBulk, recordLocation, type BulkFormat} from './parse.js'
import {RecordChecker} from './records.js'

export interface ImportOptions {
  /** Forces the format; by default the first non-whitespace character decides (`[` json, `{` ndjson). */
  format?: BulkFormat
  /** Milliseconds since the epoch, to decide which absolute expirations have passed (default Date.now()). */
  now?: number
  /** Told once about each kind of field that is ignored (unknown fields). */
  onWarning?: (message: string) => void
  /** Write only the records whose key is missing or expired (CI seeding defaults without flipping what admins set). */
  ifAbsent?: boolean
  /** Called after each chunk of input with the records read so far. */
  onProgress?: (records: number) => void | Promise<void>
}

export interface ImportResult {
  /** Records written. */
  imported: number
  /** Records skipped because their absolute `expiration` had already passed. */
  skipped: number
  /** Records not written because their key already existed (`ifAbsent`). */
  existing: number
  /** The revisions the import made (one on LMDB, one per chunk on Redis), or null when it wrote nothing. */
  revisions: Revisions | null
}

/**
 * Imports a Workers KV bulk file (JSON array or NDJSON): every record is validated and written, or, at the
 * first bad record, nothing is (the store's all-or-nothing `writeAll`). The input streams through, so its
 * size is not bounded by memory.
 */
export async function importBulk(namespace: Namespace, source: AsyncIterable<Uint8Array | string>, options: ImportOptions = {}): Promise<ImportResult> {
  const result: ImportResult = {imported: 0, skipped: 0, existing: 0, revisions: null}
  async function* puts(): AsyncGenerator<PutRecord[]> {
    // Made once putAll has taken its time, so that no record this lets through has expired by putAll's clock
    // (putAll refuses an expiration that has passed; newEntry).
    const checker = new RecordChecker(options.now ?? Date.now(), options.onWarning ?? (() => {}))
    for await (const records of parseBulk(source, options.format)) {
      const chunk: PutRecord[] = []
      for (const record of records) {
        const put = checker.check(record)
        if (put === null) result.skipped++
        // The key and value limits are checked by the put itself: it names the record when one is broken.
        else chunk.push({...put, source: recordLocation(record)})
      }
      result.imported += chunk.length
      yield chunk
      await options.onProgress?.(result.imported + result.skipped)
    }
  }
  const {revisions, skipped} = await namespace.putAll(puts(), {ifAbsent: options.ifAbsent})
  // Records left alone because their key exists are not imported.
  Object.assign(result, {revisions, existing: skipped, imported: result.imported - skipped})
  return result
}
