import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'

import {KvError} from '../engine/errors.js'
import {statInput, unreadable} from './input.js'

export interface InputStream {
  /** The input's Buffers, read as they are consumed (backpressure: nothing piles up in memory). */
  chunks: AsyncIterable<Buffer>
  /** The size in bytes, when the input is a regular file. */
  size?: number
}

/**
 * A file (or stdin for `-`) to read as a stream. Refuses a missing file, a directory, or a terminal on
 * stdin before anything is read; a read error later is a one-line INPUT_UNREADABLE error naming the source.
 */
export function openInputStream(path: string, what: string): InputStream {
  if (path === '-') {
    if (process.stdin.isTTY) throw new KvError('USAGE', `no ${what} on stdin: pipe it in, or give a file instead of -`)
    return {chunks: readChunks(process.stdin, 'stdin')}
  }
  const stats = statInput(path)
  return {chunks: readChunks(createReadStream(path, {highWaterMark: 256 * 1024}), path), size: stats.isFile() ? stats.size : undefined}
}

/** The whole input as text (for inputs that are small by nature, such as a list of keys). */
export async function readInputText(path: string, what: string): Promise<string> {
  const buffers: Buffer[] = []
  for await (const chunk of openInputStream(path, what).chunks) buffers.push(chunk)
  return Buffer.concat(buffers).toString('utf8')
}

async function* readChunks(stream: Readable, source: string): AsyncGenerator<Buffer, void, undefined> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk
  } catch (error) {
    throw error instanceof KvError ? error : unreadable(source, error)
  }
}
