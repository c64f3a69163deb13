import {createReadStream, statSync, type Stats} from 'node:fs'
import type {Readable} from 'node:stream'

import {KvError} from '../engine/errors.js'
import {checkValueSize, MAX_VALUE_BYTES} from '../engine/limits.js'

export interface ValueSource {
  /** The VALUE argument, if given. */
  argument?: string
  /** --file PATH, where `-` means stdin. */
  file?: string
}

/**
 * The value a command should store: the argument as given, or the exact bytes of a file or of stdin.
 * Streams are read as Buffers (binary-safe) and abandoned as soon as they pass the value limit, so an
 * oversized input is neither held in memory nor partly stored.
 */
export async function readValue({argument, file}: ValueSource): Promise<string | Uint8Array> {
  if (argument !== undefined && file !== undefined) {
    throw new KvError('USAGE', 'give the value either as an argument or with --file, not both')
  }
  if (argument !== undefined) return argument
  if (file !== undefined && file !== '-') return readFile(file)
  if (process.stdin.isTTY) {
    throw new KvError('USAGE', 'no value given: pass VALUE, --file PATH, or pipe the value on stdin')
  }
  return readLimited(process.stdin, 'stdin')
}

/** Stats a file the user named as input; a missing file or a directory is INPUT_UNREADABLE. */
export function statInput(path: string): Stats {
  let stats
  try {
    stats = statSync(path)
  } catch (error) {
    throw unreadable(path, error)
  }
  if (stats.isDirectory()) throw new KvError('INPUT_UNREADABLE', `cannot read ${path}: it is a directory`)
  return stats
}

async function readFile(path: string): Promise<Uint8Array> {
  const stats = statInput(path)
  // A regular file's size is known up front: refuse before reading a byte.
  if (stats.isFile()) checkValueSize(stats.size)
  return readLimited(createReadStream(path), path)
}

async function readLimited(stream: Readable, source: string): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_VALUE_BYTES) {
        stream.destroy()
        checkValueSize(size, true)
      }
      chunks.push(chunk)
    }
  } catch (error) {
    if (error instanceof KvError) throw error
    throw unreadable(source, error)
  }
  return Buffer.concat(chunks, size)
}

export function unreadable(source: string, error: unknown): KvError {
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
  return new KvError('INPUT_UNREADABLE', `cannot read ${source}: ${reason}`)
}
