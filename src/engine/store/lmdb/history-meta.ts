/**
 * The revision counter and how far the history reaches, kept together in kv-meta ("history") and rewritten
 * by every write transaction that changes anything:
 *   revision     the last revision committed
 *   oldest       the oldest revision whose state can be read (changes after it are kept)
 *   oldestAt     when `oldest` committed: an entry that expired by then is needed by no revision kept
 *   cleaned      revisions up to this one have had their log and replaced entries removed (the rest of the
 *                way to `oldest` is removed a little at a time)
 *   cleanedPart  parts of revision `cleaned + 1` removed already (a long revision goes part by part)
 */
export interface HistoryMeta {
  revision: number
  oldest: number
  oldestAt: number
  cleaned: number
  cleanedPart: number
}

/**
 * The latest expiry time a key may have to be reclaimed: now, when no past revision can be read; else the
 * time of the oldest revision kept (a key that expired by then is needed by no revision kept).
 */
export function reclaimHorizon(meta: HistoryMeta, now: number): number {
  return meta.oldest >= meta.revision ? now : Math.min(now, meta.oldestAt)
}

const FIELDS = ['revision', 'oldest', 'oldestAt', 'cleaned', 'cleanedPart'] as const

export function encodeHistoryMeta(meta: HistoryMeta): Buffer {
  const bytes = Buffer.allocUnsafe(8 * FIELDS.length)
  FIELDS.forEach((field, i) => {
    bytes.writeUInt32BE(Math.floor(meta[field] / 2 ** 32), 8 * i)
    bytes.writeUInt32BE(meta[field] >>> 0, 8 * i + 4)
  })
  return bytes
}

export function decodeHistoryMeta(bytes: Uint8Array): HistoryMeta {
  if (bytes.length !== 8 * FIELDS.length) throw new Error(`damaged namespace: its history state is ${bytes.length} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const meta = {} as HistoryMeta
  FIELDS.forEach((field, i) => {
    meta[field] = view.getUint32(8 * i) * 2 ** 32 + view.getUint32(8 * i + 4)
  })
  return meta
}
