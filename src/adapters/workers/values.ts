import {MAX_VALUE_BYTES, type ValueInput} from '../../engine/limits.js'
import {valueTooLarge} from './rules.js'
import type {KVValueType} from './types.js'

/** Between the values a Worker puts and gets and the bytes the engine stores. */

const utf8Decoder = new TextDecoder()

/**
 * A put's value as the engine takes it: strings (lone surrogates replaced, as the runtime sends text as UTF-8),
 * ArrayBuffers, ArrayBufferViews, and ReadableStreams of bytes, read to the end. Like the binding, other
 * primitives are sent as their text and other objects are a TypeError. Values over 25 MiB fail with Workers'
 * message; a stream is drained to tell its full length, keeping no more than the limit.
 */
export async function putValue(value: unknown): Promise<ValueInput> {
  if (value instanceof ReadableStream) return readStream(value)
  let input: ValueInput
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) input = value
  else if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    throw new TypeError('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.')
  } else input = String(value).toWellFormed()
  const length = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
  if (length > MAX_VALUE_BYTES) throw valueTooLarge(length)
  return input
}

async function readStream(stream: ReadableStream<unknown>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let length = 0
  for await (const chunk of stream) {
    if (!(chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk))) {
      throw new TypeError('KV put() of a ReadableStream takes chunks of bytes (ArrayBuffer or ArrayBufferView)')
    }
    const bytes = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    length += bytes.byteLength
    if (length <= MAX_VALUE_BYTES) chunks.push(bytes)
  }
  if (length > MAX_VALUE_BYTES) throw valueTooLarge(length)
  return Buffer.concat(chunks, length)
}

/** A stored value as a get of `type` returns it. Invalid JSON throws JSON.parse's SyntaxError, as in a Worker. */
export function valueAs(bytes: Uint8Array, type: KVValueType): unknown {
  switch (type) {
    case 'text':
      return utf8Decoder.decode(bytes)
    case 'json':
      return JSON.parse(utf8Decoder.decode(bytes))
    case 'arrayBuffer':
      // A copy the caller owns, exactly the value's size (the engine's bytes may be a view of a larger buffer).
      return new Uint8Array(bytes).buffer
    case 'stream':
      return byteStream(new Uint8Array(bytes))
  }
}

/** A byte stream (readable with a BYOB reader too, as a Worker's) of one chunk. */
function byteStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}
