/** Expiry times as the `expiries` database and the expiry index store them: 8 bytes, big-endian milliseconds. */

export const TIME_BYTES = 8

/** Big-endian so that byte order is time order. */
export function encodeTime(ms: number): Uint8Array {
  const bytes = new Uint8Array(TIME_BYTES)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, Math.floor(ms / 2 ** 32))
  view.setUint32(4, ms >>> 0)
  return bytes
}

export function decodeTime(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}
