import {isUtf8} from 'node:buffer'

import {KvError} from '../errors.js'
import {MAX_VALUE_BYTES} from '../limits.js'

/** The two shapes of a Workers KV bulk file: one JSON array, or one JSON object per line. */
export type BulkFormat = 'json' | 'ndjson'

/** One parsed element of a bulk file, not yet validated, with where it came from. */
export interface ParsedRecord {
  /** The element as JSON.parse returned it. */
  data: unknown
  /** 0-based position among the records (the array index in a JSON file). */
  index: number
  /** 1-based line on which the record starts. */
  line: number
}

/**
 * The longest text one record may take: a 25 MiB value written entirely as \u escapes, plus room for the
 * rest of the record. Anything longer cannot be a valid record, and refusing it keeps memory bounded.
 */
export const MAX_RECORD_CHARS = 6 * MAX_VALUE_BYTES + 64 * 1024

/** Where a record is, as error messages name it: "record 17 (line 18)". */
export function recordLocation(record: {index: number; line: number}): string {
  return `record ${record.index} (line ${record.line})`
}

const OPEN_BRACKET = 0x5b // [
const CLOSE_BRACKET = 0x5d // ]
const OPEN_BRACE = 0x7b // {
const CLOSE_BRACE = 0x7d // }
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const NEWLINE = 0x0a

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

/**
 * Parses a bulk file as it streams in, yielding the records of each chunk together (one array per chunk,
 * so a fast source is not slowed by one promise per record). Only the record being read is held in
 * memory, whatever the size of the input. Without `format`, the first non-whitespace character decides:
 * `[` is a JSON array, `{` is NDJSON.
 */
export async function* parseBulk(source: AsyncIterable<Uint8Array | string>, format?: BulkFormat): AsyncGenerator<ParsedRecord[], void, undefined> {
  const decoder = new Utf8Decoder()
  let parser: ChunkParser | undefined
  let line = 1
  const decode = (chunk: Uint8Array | string, stream: boolean): string => {
    if (typeof chunk === 'string') return chunk
    const text = decoder.decode(chunk, stream)
    if (text === null) throw new KvError('VALUE_INVALID', `the input is not valid UTF-8 (near line ${line})`)
    return text
  }
  const feed = (text: string): ParsedRecord[] => {
    if (parser === undefined) {
      const first = firstNonWhitespace(text)
      if (first === -1) {
        line += countNewlines(text, 0, text.length)
        return []
      }
      parser = makeParser(format ?? detectFormat(text.charCodeAt(first), line + countNewlines(text, 0, first)), line)
    }
    const records = parser.push(text)
    line = parser.line
    return records
  }
  for await (const chunk of source) {
    const records = feed(decode(chunk, true))
    if (records.length > 0) yield records
  }
  const last = feed(decode(new Uint8Array(0), false))
  if (parser === undefined) return
  last.push(...parser.end())
  if (last.length > 0) yield last
}

/**
 * Decodes UTF-8 that arrives in chunks, refusing invalid bytes (null) rather than replacing them, and
 * dropping a byte order mark at the start. Buffer's validation and decoding are several times faster than
 * TextDecoder's fatal mode; a sequence split between chunks is held back until its end arrives.
 */
class Utf8Decoder {
  private held: Buffer | null = null
  private first = true

  decode(chunk: Uint8Array, stream: boolean): string | null {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.held !== null) bytes = Buffer.concat([this.held, bytes])
    const end = stream ? completeLength(bytes) : bytes.length
    this.held = end < bytes.length ? Buffer.from(bytes.subarray(end)) : null
    const complete = bytes.subarray(0, end)
    if (!isUtf8(complete)) return null
    let text = complete.toString('utf8')
    if (this.first && text.length > 0) {
      this.first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    return text
  }
}

/** The length of `bytes` without a UTF-8 sequence cut off at its end. */
function completeLength(bytes: Uint8Array): number {
  let start = bytes.length - 1
  // Back over continuation bytes (at most 3) to the lead byte of the last sequence.
  while (start >= 0 && bytes.length - start < 4 && (bytes[start] & 0xc0) === 0x80) start--
  if (start < 0) return bytes.length
  const lead = bytes[start]
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return bytes.length - start < needed ? start : bytes.length
}

function detectFormat(first: number, line: number): BulkFormat {
  if (first === OPEN_BRACKET) return 'json'
  if (first === OPEN_BRACE) return 'ndjson'
  throw new KvError(
    'VALUE_INVALID',
    `line ${line}: the input is neither a JSON array (starting with "[") nor NDJSON (one object per line, starting with "{")`,
  )
}

interface ChunkParser {
  /** The line the parser has reached. */
  readonly line: number
  push(text: string): ParsedRecord[]
  /** The input ended: the last records, or an error if it ended in the middle of one. */
  end(): ParsedRecord[]
}

function makeParser(format: BulkFormat, line: number): ChunkParser {
  return format === 'json' ? new JsonArrayParser(line) : new NdjsonParser(line)
}

function parseRecord(text: string, index: number, line: number): ParsedRecord {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new KvError('VALUE_INVALID', `${recordLocation({index, line})}: not valid JSON (${(error as Error).message})`)
  }
  return {data, index, line}
}

function tooLong(index: number, line: number): KvError {
  return new KvError(
    'VALUE_TOO_LARGE',
    `${recordLocation({index, line})}: longer than ${MAX_RECORD_CHARS} characters, which no record within the value limit of ${MAX_VALUE_BYTES} bytes (25 MiB) needs`,
  )
}

/** One JSON value per line; blank lines are skipped. */
class NdjsonParser implements ChunkParser {
  private partial = ''
  private index = 0

  constructor(public line: number) {}

  push(text: string): ParsedRecord[] {
    const records: ParsedRecord[] = []
    let start = 0
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const lineText = this.partial === '' ? text.slice(start, newline) : this.partial + text.slice(start, newline)
      this.partial = ''
      this.take(lineText, records)
      this.line++
      start = newline + 1
    }
    if (start < text.length) {
      if (this.partial.length + text.length - start > MAX_RECORD_CHARS) throw tooLong(this.index, this.line)
      this.partial += text.slice(start)
    }
    return records
  }

  end(): ParsedRecord[] {
    const records: ParsedRecord[] = []
    this.take(this.partial, records)
    this.partial = ''
    return records
  }

  private take(lineText: string, records: ParsedRecord[]): void {
    if (firstNonWhitespace(lineText) === -1) return
    records.push(parseRecord(lineText, this.index++, this.line))
  }
}

/**
 * A JSON array whose top-level elements are cut out as they arrive, by tracking nesting depth and
 * strings, and parsed one by one: the array is never held whole.
 */
class JsonArrayParser implements ChunkParser {
  /** 0 before `[`, 1 inside the array between elements, more inside an element. */
  private depth = 0
  private inString = false
  private escaped = false
  private closed = false
  /** The current element's text from earlier chunks. */
  private partial = ''
  /** Whether the current element has begun (a non-whitespace character at depth 1). */
  private started = false
  private elementLine = 0
  private index = 0

  constructor(public line: number) {}

  push(text: string): ParsedRecord[] {
    const records: ParsedRecord[] = []
    // Where the current element's text begins in `text`, when it began in this chunk or before it.
    let elementStart = this.started ? 0 : -1
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      if (code === NEWLINE) this.line++
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (code === BACKSLASH) this.escaped = true
        else if (code === QUOTE) this.inString = false
        continue
      }
      if (isWhitespace(code)) continue
      if (this.closed) throw this.error(`unexpected text after the end of the array`)
      if (this.depth === 0) {
        if (code !== OPEN_BRACKET) throw this.error('the input does not start with "["')
        this.depth = 1
        continue
      }
      if (this.depth === 1 && (code === COMMA || code === CLOSE_BRACKET)) {
        if (this.started) {
          records.push(parseRecord(this.partial + text.slice(elementStart, i), this.index++, this.elementLine))
          this.partial = ''
          this.started = false
          elementStart = -1
        } else if (code === COMMA || this.index > 0) {
          throw this.error(code === COMMA ? 'unexpected "," (a missing element?)' : 'unexpected "]" after ","')
        }
        if (code === CLOSE_BRACKET) {
          this.depth = 0
          this.closed = true
        }
        continue
      }
      if (!this.started) {
        this.started = true
        this.elementLine = this.line
        elementStart = i
      }
      if (code === QUOTE) this.inString = true
      else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.depth++
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        if (this.depth === 1) throw this.error('unexpected "}"')
        this.depth--
      }
    }
    if (this.started) {
      if (this.partial.length + text.length - elementStart > MAX_RECORD_CHARS) throw tooLong(this.index, this.elementLine)
      this.partial += text.slice(elementStart)
    }
    return records
  }

  end(): ParsedRecord[] {
    if (!this.closed) throw this.error(`the input ends before the array's closing "]"${this.started ? ` (in record ${this.index})` : ''}`)
    return []
  }

  private error(problem: string): KvError {
    return new KvError('VALUE_INVALID', `line ${this.line}: ${problem}`)
  }
}

function firstNonWhitespace(text: string): number {
  for (let i = 0; i < text.length; i++) if (!isWhitespace(text.charCodeAt(i))) return i
  return -1
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++
  return count
}
