import {isUtf8} from 'node:buffer'

import type {Entry} from '../engine/namespace.js'

/** stdout carries data only; everything meant for a person goes through `message` to stderr. */

export function stdoutIsTerminal(): boolean {
  return process.stdout.isTTY === true
}

/** Writes a value's exact bytes; a newline is added only for a person reading a terminal. */
export function writeValue(value: Uint8Array): void {
  process.stdout.write(value)
  if (stdoutIsTerminal() && value.length > 0) process.stdout.write('\n')
}

export function writeLines(lines: Iterable<string>): void {
  let text = ''
  for (const line of lines) text += `${line}\n`
  if (text) process.stdout.write(text)
}

/** JSON on stdout: indented for a person, one line for a program. */
export function writeJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, stdoutIsTerminal() ? 2 : undefined)}\n`)
}

export function message(text: string): void {
  process.stderr.write(`kv: ${text}\n`)
}

/** A value in JSON: text when it is valid UTF-8, otherwise base64 (flagged, as Workers KV bulk files do). */
export function valueForJson(value: Uint8Array): {value: string; base64: boolean} {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return isUtf8(bytes) ? {value: bytes.toString('utf8'), base64: false} : {value: bytes.toString('base64'), base64: true}
}

/** What `kv get --json` prints for one key. */
export interface EntryJson {
  key: string
  value: string
  base64: boolean
  expiresAt: number | null
  metadata: unknown
  /** The revision that last wrote the key. */
  revision: number
}

export function entryForJson(key: string, entry: Entry): EntryJson {
  return {key, ...valueForJson(entry.value), expiresAt: entry.expiresAt, metadata: entry.metadata, revision: entry.revision}
}

/** A key on one line of text: as it is, or as a JSON string when it holds control characters. */
export function printableKey(key: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(key) ? JSON.stringify(key) : key
}
