import type {SingleBar} from 'cli-progress'
import {loadLazily} from './lazy.js'

/** How long an import runs before a progress bar appears: quick imports stay quiet. */
const SHOW_AFTER_MS = 1000

export interface ImportProgress {
  /** Passes the input through, counting its bytes. */
  track<T extends Uint8Array>(chunks: AsyncIterable<T>): AsyncIterable<T>
  /** Records read so far; shows the bar once the import has run for a second (on a terminal only). */
  update(records: number): Promise<void>
  stop(): void
}

/**
 * A progress bar on stderr for long imports, only when stderr is a terminal. cli-progress is loaded
 * only when the bar is shown. With `totalBytes` (a regular file) the bar shows how much has been read.
 */
export function importProgress(totalBytes: number | undefined, stream: NodeJS.WriteStream = process.stderr): ImportProgress {
  const started = Date.now()
  let bytes = 0
  let bar: SingleBar | undefined
  let loading = false
  return {
    async *track(chunks) {
      for await (const chunk of chunks) {
        bytes += chunk.length
        yield chunk
      }
    },
    async update(records) {
      if (bar) {
        bar.update(totalBytes === undefined ? records : bytes, {records})
        return
      }
      if (!stream.isTTY || loading || Date.now() - started < SHOW_AFTER_MS) return
      loading = true
      const progress = loadLazily<typeof import('cli-progress')>('cli-progress')
      const format = totalBytes === undefined ? 'importing | {records} records' : 'importing |{bar}| {percentage}% | {records} records'
      bar = new progress.SingleBar({stream, format, hideCursor: true, clearOnComplete: true}, progress.Presets.shades_classic)
      bar.start(totalBytes ?? 0, totalBytes === undefined ? records : bytes, {records})
    },
    stop() {
      bar?.stop()
    },
  }
}
