import {KvError} from '../../errors.js'
import {encodeHeader} from '../change-log.js'
import {reasonOf} from '../errors.js'
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
/** Marks a staged put that only writes a missing or expired key: its expiry field starts with it. */
const IF_ABSENT = 'a'
/** Who an import begun by kv of storage format 2 (which recorded nobody) is recorded as, when it is finished. */
const UNKNOWN_IMPORTER = {actor: 'unknown', operation: 'import'}

/**
 * All-or-nothing writes of any size, without ever blocking the server for long:
 * 1. stage: every op goes into lists under the namespace's tag (key, record, expiry triples), each expiring
 *    by itself after STAGE_TTL_MS. Nothing of the namespace changes, and a failed or killed import leaves
 *    only these, which expire.
 * 2. check that the server has room for what applying adds (its records' keys and index entries): an import
 *    that would run into `maxmemory` fails here, importing nothing.
 * 3. commit: one script marks the import as committing in the namespace's meta and makes its chunks
 *    permanent. From here on the import happens: each chunk is applied by a script of its own, in order,
 *    and deleted, each one revision (with `header`, kept in the meta hash). If this process dies, or the
 *    server refuses a chunk (out of memory) or goes away, the rest is applied by the next kv that writes to
 *    the namespace (pendingImports, rollForward); the import fails with IMPORT_INCOMPLETE, which says so.
 *    While chunks are being applied, readers can see some of them applied and not others.
 */
export async function stagedWriteAll(
  connection: Connection,
  keys: NamespaceKeys,
  chunks: AsyncIterable<readonly WriteOp[]>,
  now: number,
  header: Buffer,
): Promise<{deletedLive: number; skipped: number; expiringPuts: number; revisions: RevisionSpan | null}> {
  let expiringPuts = 0
  let opCount = 0
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
        opCount++
        // The revision is stamped when the chunk is applied.
        const record = op.type === 'put' ? encodeRecord(op.entry, 0) : Buffer.alloc(0)
        const expiry = op.type === 'put' && op.entry.expiresAt !== null ? String(op.entry.expiresAt) : ''
        if (expiry !== '') expiringPuts++
        // A put that only writes a missing key says so before its expiry (COMMIT_CHUNK reads it).
        const condition = op.type === 'put' && op.if !== undefined ? IF_ABSENT : ''
        items.push(Buffer.from(op.key), Buffer.from(record.buffer, record.byteOffset, record.byteLength), condition + expiry)
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
  if (count === 0) return {deletedLive: 0, skipped: 0, expiringPuts, revisions: null}
  try {
    await checkRoom(connection, keys, opCount)
    await connection.script(BEGIN_COMMIT, [keys.meta], [importId, count, keys.stagePrefix(importId), header])
  } catch (error) {
    await discard(connection, keys, importId, count)
    throw error
  }
  try {
    return {...(await applyChunks(connection, keys, {importId, count}, now)), expiringPuts}
  } catch (error) {
    throw importIncomplete(error)
  }
}

/** An import whose commit began: its id and chunk count, and the `committing` value a kv of format 2 gave it. */
export interface PendingImport {
  importId: string
  count: number
  legacy?: string
}

/** The imports of a namespace whose commit began and did not end, from its meta hash's fields. */
export function pendingImports(fields: (Buffer | string)[]): PendingImport[] {
  const pending: PendingImport[] = []
  for (let i = 0; i < fields.length; i += 2) {
    const [name, value] = [fields[i].toString(), fields[i + 1].toString()]
    if (name.startsWith('committing:')) pending.push({importId: name.slice('committing:'.length), count: Number(value)})
    else if (name === 'committing') {
      const [importId, count] = value.split(':')
      pending.push({importId, count: Number(count), legacy: value})
    }
  }
  return pending
}

/** Finishes imports whose commit began (the process committing them may have died): see stagedWriteAll. */
export async function rollForward(connection: Connection, keys: NamespaceKeys, pending: readonly PendingImport[], now: number): Promise<void> {
  for (const commit of pending) {
    try {
      await applyChunks(connection, keys, commit, now)
    } catch (error) {
      throw importIncomplete(error, 'an earlier import')
    }
  }
}

/**
 * What an import whose commit began, and whose chunks the server would not (all) take, is reported as: it is
 * still committed, and the next write to the namespace goes on with it.
 */
function importIncomplete(error: unknown, what = 'the import'): KvError {
  return new KvError(
    'IMPORT_INCOMPLETE',
    `${what} was committed, but the server stopped applying it (${reasonOf(error).replace(/^storage failure[^:]*: /, '')}): ` +
      'the rest is applied by the next write to the namespace once the server can take it (free memory, or raise maxmemory)',
    {cause: error},
  )
}

async function applyChunks(
  connection: Connection,
  keys: NamespaceKeys,
  {importId, count, legacy}: PendingImport,
  now: number,
): Promise<{deletedLive: number; skipped: number; revisions: RevisionSpan | null}> {
  let deletedLive = 0
  let skipped = 0
  let revisions: RevisionSpan | null = null
  for (let n = 0; n < count; n++) {
    for (;;) {
      const chunk = keys.stage(importId, n)
      const previous = n === 0 ? chunk : keys.stage(importId, n - 1)
      const [deleted, revision, skippedInChunk] = (await connection.script(
        COMMIT_CHUNK,
        [keys.meta, keys.keys, keys.exp, chunk, previous],
        [keys.tp, String(now), String(compactionBudget(CHUNK_OPS)), importId, encodeHeader(UNKNOWN_IMPORTER, now)],
      )) as [number, number?, number?]
      if (deleted >= 0) {
        deletedLive += deleted
        skipped += skippedInChunk ?? 0
        if (revision !== undefined && revision > 0) revisions = {first: (revisions as RevisionSpan | null)?.first ?? revision, last: revision}
        break
      }
      // Another process finishing the same import is applying the chunk before this one: let it.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  await connection.script(END_COMMIT, [keys.meta], legacy === undefined ? [importId] : [importId, legacy])
  return {deletedLive, skipped, revisions}
}

/**
 * About what applying one staged op adds to the server's memory beyond its bytes, already staged: a key and
 * its value object, an entry in the `keys` index, a share of a change log record. Measured on Redis 7: 150
 * to 200 bytes for small records; this errs high.
 */
const BYTES_PER_APPLIED_OP = 256

/**
 * Fails (nothing imported) when the server holding the namespace would run out of `maxmemory` applying the
 * import: what it adds per op, and the largest chunk (a chunk's list and its records live side by side until
 * the list is dropped). A server that does not say (no maxmemory, or INFO denied) is not checked.
 */
async function checkRoom(connection: Connection, keys: NamespaceKeys, ops: number): Promise<void> {
  const info = await connection.onNodeHolding(keys.meta, 'INFO', 'memory').catch(() => undefined)
  if (info === undefined) return
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(String(info))?.[1] ?? 0)
  const [used, limit] = [field('used_memory'), field('maxmemory')]
  if (limit === 0) return
  const needed = ops * BYTES_PER_APPLIED_OP + CHUNK_BYTES
  if (used + needed > limit) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
    throw new KvError(
      'STORAGE_FAILURE',
      `not enough memory on the server to apply the import: it needs about ${mib(needed)} more, and ${mib(Math.max(0, limit - used))} ` +
        `of maxmemory (${mib(limit)}) is free; nothing was imported`,
    )
  }
}

/** Drops an import's staged chunks (best effort: they expire by themselves anyway). */
async function discard(connection: Connection, keys: NamespaceKeys, importId: string, count: number): Promise<void> {
  for (let n = 0; n < count; n += 100) {
    const chunks = Array.from({length: Math.min(100, count - n)}, (_, i) => keys.stage(importId, n + i))
    await connection.call('UNLINK', ...chunks).catch(() => {})
  }
}
