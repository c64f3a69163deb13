import {encodeHeader} from '../change-log.js'
import {encodeRecord} from '../record.js'
import {compactionBudget} from '../retention.js'
import type {RevisionSpan, WriteOp} from '../store.js'
import type {Connection} from './connection.js'
import {randomId, type NamespaceKeys} from './layout.js'
import {BEGIN_COMMIT, COMMIT_CHUNK, END_COMMIT, STAGE} from './scripts.js'

/**
 * Ops per staged chunk, and the bytes after which a chunk is closed early. Committing a chunk blocks the
 * server for its whole work: 500 puts took 8-12 ms at most into a 1,000,000-key namespace on a busy 2-core
 * machine (1,000 took twice that; the bench's Redis blocking rows), while fewer would make BEGIN_COMMIT,
 * which touches every chunk, the longest step of a big import.
 */
const CHUNK_OPS = 500
const CHUNK_BYTES = 4 * 1024 * 1024
/**
 * How long staged chunks live unless their commit begins: an import killed while staging leaves nothing
 * behind for longer. An import that stages for longer fails at its commit, importing nothing.
 */
export const STAGE_TTL_MS = 60 * 60 * 1000
/** Who an import begun by kv of storage format 2 (which recorded nobody) is recorded as, when it is finished. */
const UNKNOWN_IMPORTER = {actor: 'unknown', operation: 'import'}

/**
 * All-or-nothing writes of any size, without ever blocking the server for long:
 * 1. stage: every op goes into lists under the namespace's tag (key, record, expiry triples), each expiring
 *    by itself after STAGE_TTL_MS. Nothing of the namespace changes, and a failed or killed import leaves
 *    only these, which expire.
 * 2. commit: one script marks the import as committing in the namespace's meta and makes its chunks
 *    permanent. From here on the import happens: each chunk is applied by a script of its own, in order,
 *    and deleted, each one revision (with `header`, kept in the meta hash); if this process dies, the next
 *    process to open the namespace applies the rest (rollForward). While chunks are being applied, readers
 *    can see some of them applied and not others.
 */
export async function stagedWriteAll(
  connection: Connection,
  keys: NamespaceKeys,
  chunks: AsyncIterable<readonly WriteOp[]>,
  now: number,
  header: Buffer,
): Promise<{deletedLive: number; expiringPuts: number; revisions: RevisionSpan | null}> {
  let expiringPuts = 0
  const importId = randomId()
  let count = 0
  let staging: Promise<unknown> = Promise.resolve()
  try {
    let items: (Buffer | string)[] = []
    let bytes = 0
    const flush = async () => {
      const chunk = keys.stage(importId, count++)
      const sent = connection.script(STAGE, [chunk], [STAGE_TTL_MS, ...items])
      sent.catch(() => {}) // awaited below; this only keeps an early failure from counting as unhandled
      items = []
      bytes = 0
      // One chunk in flight while the next is prepared.
      await staging
      staging = sent
    }
    for await (const ops of chunks) {
      for (const op of ops) {
        if (op.type === 'check') continue
        // The revision is stamped when the chunk is applied.
        const record = op.type === 'put' ? encodeRecord(op.entry, 0) : Buffer.alloc(0)
        const expiry = op.type === 'put' && op.entry.expiresAt !== null ? String(op.entry.expiresAt) : ''
        if (expiry !== '') expiringPuts++
        items.push(Buffer.from(op.key), Buffer.from(record.buffer, record.byteOffset, record.byteLength), expiry)
        bytes += op.key.length + record.length
        if (items.length >= CHUNK_OPS * 3 || bytes >= CHUNK_BYTES) await flush()
      }
    }
    if (items.length > 0) await flush()
    await staging
  } catch (error) {
    await staging.catch(() => {})
    await discard(connection, keys, importId, count)
    throw error
  }
  if (count === 0) return {deletedLive: 0, expiringPuts, revisions: null}
  try {
    await connection.script(BEGIN_COMMIT, [keys.meta], [importId, count, keys.stagePrefix(importId), header])
  } catch (error) {
    await discard(connection, keys, importId, count)
    throw error
  }
  return {...(await applyChunks(connection, keys, importId, count, now)), expiringPuts}
}

/** Finishes an import whose commit began (the process committing it may have died): see stagedWriteAll. */
export async function rollForward(connection: Connection, keys: NamespaceKeys, committing: string, now: number): Promise<void> {
  const [importId, count] = committing.split(':')
  await applyChunks(connection, keys, importId, Number(count), now)
}

async function applyChunks(
  connection: Connection,
  keys: NamespaceKeys,
  importId: string,
  count: number,
  now: number,
): Promise<{deletedLive: number; revisions: RevisionSpan | null}> {
  let deletedLive = 0
  let revisions: RevisionSpan | null = null
  for (let n = 0; n < count; n++) {
    for (;;) {
      const chunk = keys.stage(importId, n)
      const previous = n === 0 ? chunk : keys.stage(importId, n - 1)
      const [deleted, revision] = (await connection.script(
        COMMIT_CHUNK,
        [keys.meta, keys.keys, keys.exp, chunk, previous],
        [keys.tp, String(now), String(compactionBudget(CHUNK_OPS)), encodeHeader(UNKNOWN_IMPORTER, now)],
      )) as [number, number?]
      if (deleted >= 0) {
        deletedLive += deleted
        if (revision !== undefined && revision > 0) revisions = {first: (revisions as RevisionSpan | null)?.first ?? revision, last: revision}
        break
      }
      // Another process finishing the same import is applying the chunk before this one: let it.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  await connection.script(END_COMMIT, [keys.meta], [`${importId}:${count}`])
  return {deletedLive, revisions}
}

/** Drops an import's staged chunks (best effort: they expire by themselves anyway). */
async function discard(connection: Connection, keys: NamespaceKeys, importId: string, count: number): Promise<void> {
  for (let n = 0; n < count; n += 100) {
    const chunks = Array.from({length: Math.min(100, count - n)}, (_, i) => keys.stage(importId, n + i))
    await connection.call('UNLINK', ...chunks).catch(() => {})
  }
}
