import {successor} from '../../key-range.js'
import {encodeHeader} from '../change-log.js'
import {decodeKey, decodeRecord, encodeRecord, MAX_HEAD_BYTES, recordExpiry, recordValue} from '../record.js'
import {compactionBudget} from '../retention.js'
import type {
  ChangeCause,
  KeyedEntry,
  KeyRange,
  ReclaimFor,
  RevisionSpan,
  ScanRange,
  Store,
  StoredEntry,
  StoredKey,
  StoreStats,
  WriteAllResult,
  WriteOp,
  WriteResult,
} from '../store.js'
import type {Connection} from './connection.js'
import {RedisHistory} from './history.js'
import {rollForward, stagedWriteAll, type PendingImport} from './import.js'
import {lexBounds, type NamespaceKeys} from './layout.js'
import {DELETE_RANGE, ENTRIES, RECLAIM, SCAN, WRITE} from './scripts.js'

/** The most expired keys one write script removes, whatever the grouped writes in it asked for. */
const MOST_RECLAIMED = 1000
/** Keys one script deletes at most: each call blocks the server for about a millisecond. */
const RANGE_CHUNK = 1000
/** Entries an export reads per call, and the bytes after which a call stops early. */
const ENTRIES_PER_CALL = 256
const ENTRIES_BYTES_PER_CALL = 8 * 1024 * 1024

const NO_PRECONDITION = ''
const NO_EXPIRY = ''
/**
 * Separate gets, and separate plain puts, of one event turn go out as one command: an MGET of at most this
 * many keys, a write script of at most this many puts and bytes.
 */
const GROUP_GETS = 500
const GROUP_PUTS = 500
const GROUP_BYTES = 1024 * 1024
/** What every put of a group gets: plain puts cannot fail alone, so one promise serves them all. */
const PUTS_APPLIED: WriteResult = Object.freeze({applied: true, wasLive: Object.freeze([]) as unknown as undefined[]})

type PutOp = Extract<WriteOp, {type: 'put'}>

/** Calls waiting for the end of the event turn, to be sent as one command: `settle` takes its reply. */
interface Group<Done> {
  done: Promise<Done>
  settle(sent: Promise<unknown>): void
}

interface GetGroup extends Group<(Buffer | null)[]> {
  kind: 'gets'
  keys: Buffer[]
}

interface PutGroup extends Group<WriteResult> {
  kind: 'puts'
  ops: PutOp[]
  /** Each put is a revision of its own: its change log header (the same Buffer for puts of one cause and time). */
  headers: Buffer[]
  bytes: number
  now: number
  reclaim: number
}

/** One namespace on a Redis server or Cluster: the store contract over scripts.ts. */
export class RedisStore implements Store {
  /** Gets or plain puts made in this event turn, not sent yet (see `gets` and `puts`). */
  private pending: GetGroup | PutGroup | undefined
  /** Whether a get or put was made in this event turn already (see `firstOfTurn`). */
  private turnStarted = false
  readonly history: RedisHistory
  /** The header of the last put's revision, reused while puts come with the same cause and time. */
  private lastHeader: {cause: ChangeCause; now: number; header: Buffer} | undefined

  constructor(
    private readonly connection: Connection,
    private readonly keys: NamespaceKeys,
    /**
     * Imports whose commit began but that the server would not finish when the namespace was opened: every
     * write goes on with them first (their changes come before any later one), and fails while it cannot.
     */
    private pendingImports: readonly PendingImport[] = [],
  ) {
    this.history = new RedisHistory(connection, keys, () => this.flush())
  }

  /** Finishes the pending imports, or fails with IMPORT_INCOMPLETE (see import.ts). */
  private async finishImports(now: number): Promise<void> {
    await rollForward(this.connection, this.keys, this.pendingImports, now)
    this.pendingImports = []
  }

  // Every other method sends what is pending before its own commands, so that commands reach the server in
  // the order they were made.

  get(key: Uint8Array): Promise<StoredEntry | undefined> {
    if (this.firstOfTurn()) return this.getNow(key).then((record) => (record === null ? undefined : decodeRecord(record)))
    const group = this.gets()
    const index = group.keys.push(this.keys.record(key)) - 1
    return group.done.then((records) => (records[index] === null ? undefined : decodeRecord(records[index])))
  }

  getValue<T>(key: Uint8Array, decode: (value: Uint8Array | undefined, expiresAt: number | null) => T): Promise<T> {
    // The record key is a copy: `key` may be the caller's reused buffer.
    if (this.firstOfTurn()) return this.getNow(key).then((record) => decodeValueOf(record, decode))
    const group = this.gets()
    const index = group.keys.push(this.keys.record(key)) - 1
    return group.done.then((records) => decodeValueOf(records[index], decode))
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(StoredEntry | undefined)[]> {
    this.flush()
    if (keys.length === 0) return []
    // MGET is one command, so one consistent view (every key is in the namespace's slot).
    const records = (await this.connection.call('MGET', ...keys.map((key) => this.keys.record(key)))) as (Buffer | null)[]
    return records.map((record) => (record === null ? undefined : decodeRecord(record)))
  }

  write(ops: readonly WriteOp[], options: {now: number; reclaim: number; cause: ChangeCause}): Promise<WriteResult> {
    if (this.pendingImports.length > 0) return this.finishImports(options.now).then(() => this.write(ops, options))
    const {now, reclaim, cause} = options
    const header = this.headerFor(cause, now)
    if (ops.length === 1 && ops[0].type === 'put' && ops[0].if === undefined && !this.firstOfTurn()) {
      const op = ops[0]
      const bytes = op.key.length + op.entry.value.length + (op.entry.metadata?.length ?? 0)
      const group = this.puts(bytes)
      group.ops.push(op)
      group.headers.push(header)
      group.bytes += bytes
      group.now = now
      group.reclaim += reclaim
      return group.done
    }
    this.flush()
    return this.writeNow(ops, ops.map((_, i) => (i === 0 ? header : undefined)), now, reclaim)
  }

  private headerFor(cause: ChangeCause, now: number): Buffer {
    const last = this.lastHeader
    if (last !== undefined && last.cause === cause && last.now === now) return last.header
    const header = encodeHeader(cause, now)
    this.lastHeader = {cause, now, header}
    return header
  }

  private getNow(key: Uint8Array): Promise<Buffer | null> {
    this.flush()
    return this.connection.call('GET', this.keys.record(key)) as Promise<Buffer | null>
  }

  /**
   * Whether this is the first get or put of the event turn, which goes out at once: only the ones made after
   * it in the same turn wait to go together, so an app that awaits each call pays no wait.
   */
  private firstOfTurn(): boolean {
    if (this.turnStarted) return false
    this.turnStarted = true
    process.nextTick(() => {
      this.turnStarted = false
    })
    return true
  }

  /**
   * The group an app's separate get joins: those made in one event turn go out as one MGET (one command
   * instead of one each), when the turn ends or the group is full.
   */
  private gets(): GetGroup {
    const pending = this.pending
    if (pending?.kind === 'gets' && pending.keys.length < GROUP_GETS) return pending
    this.flush()
    return this.startGroup<GetGroup>({kind: 'gets', keys: []}, (records) => records)
  }

  /**
   * The group an app's separate plain put joins: those made in one event turn go out as one write script
   * (one command and one script run instead of one each), applied in order as they would have been one by
   * one; each put's reclaiming is added up.
   */
  private puts(bytes: number): PutGroup {
    const pending = this.pending
    if (pending?.kind === 'puts' && pending.ops.length < GROUP_PUTS && pending.bytes + bytes <= GROUP_BYTES) return pending
    this.flush()
    return this.startGroup<PutGroup>({kind: 'puts', ops: [], headers: [], bytes: 0, now: 0, reclaim: 0}, () => PUTS_APPLIED)
  }

  private startGroup<G extends GetGroup | PutGroup>(fields: Omit<G, 'done' | 'settle'>, result: (reply: unknown) => unknown): G {
    let settle!: G['settle']
    const done = new Promise((resolve, reject) => {
      settle = (sent) => sent.then((reply) => resolve(result(reply)), reject)
    })
    const group = {...fields, done, settle} as G
    this.pending = group
    process.nextTick(() => {
      if (this.pending === group) this.flush()
    })
    return group
  }

  /** Sends the group that waits for the end of the turn, if there is one. */
  private flush(): void {
    const group = this.pending
    if (group === undefined) return
    this.pending = undefined
    if (group.kind === 'gets') group.settle(this.connection.send('MGET', group.keys))
    else group.settle(this.writeNow(group.ops, group.headers, group.now, group.reclaim))
  }

  /** `headers[i]`: the change log header of a revision that starts at op i (undefined: op i is in the one before). */
  private async writeNow(ops: readonly WriteOp[], headers: readonly (Buffer | undefined)[], now: number, reclaim: number): Promise<WriteResult> {
    // Grouped puts add up their reclaiming; one script removes at most MOST_RECLAIMED, as an LMDB transaction does.
    const args: (string | Buffer | Uint8Array)[] = [String(now), String(Math.min(reclaim, MOST_RECLAIMED)), this.keys.tp, String(compactionBudget(ops.length))]
    ops.forEach((op, i) => {
      const condition = op.if === undefined ? NO_PRECONDITION : 'absent' in op.if ? 'a' : 'v'
      const version = op.if !== undefined && 'version' in op.if ? op.if.version : ''
      const header = headers[i] ?? ''
      if (op.type === 'put') {
        // The script stamps the revision.
        const record = encodeRecord(op.entry, 0)
        args.push('p', condition, version, record, op.entry.expiresAt === null ? NO_EXPIRY : String(op.entry.expiresAt), header)
      } else {
        args.push(op.type === 'delete' ? 'd' : 'c', condition, version, '', NO_EXPIRY, header)
      }
    })
    const keys = [this.keys.meta, this.keys.keys, this.keys.exp, ...ops.map((op) => this.keys.record(op.key))]
    const [applied, detail, revisions] = (await this.connection.script(WRITE, keys, args.map(asArgument))) as [number, number | number[], number[]]
    if (applied !== 1) return {applied: false, failed: (detail as number) - 1}
    const revision = revisions.length === 1 && revisions[0] > 0 ? revisions[0] : null
    return {applied: true, wasLive: (detail as number[]).map((live) => (live === -1 ? undefined : live === 1)), revision}
  }

  async writeAll(
    chunks: AsyncIterable<readonly WriteOp[]>,
    {now, reclaim, cause}: {now: number; reclaim: ReclaimFor; cause: ChangeCause},
  ): Promise<WriteAllResult> {
    this.flush()
    if (this.pendingImports.length > 0) await this.finishImports(now)
    const {deletedLive, skipped, expiringPuts, revisions} = await stagedWriteAll(this.connection, this.keys, chunks, now, encodeHeader(cause, now))
    const due = reclaim(expiringPuts)
    if (due > 0) await this.reclaimExpired(now, due)
    return {deletedLive, skipped, revisions}
  }

  /** One revision per chunk of RANGE_CHUNK keys. */
  async deleteRange({start, end}: KeyRange, {now, cause}: {now: number; cause: ChangeCause}): Promise<{deletedLive: number; revisions: RevisionSpan | null}> {
    this.flush()
    if (this.pendingImports.length > 0) await this.finishImports(now)
    const bounds = lexBounds(start, end)
    let min = bounds[0]
    const max = bounds[1]
    const header = encodeHeader(cause, now)
    let live = 0
    let revisions: RevisionSpan | null = null
    for (;;) {
      const [looked, wereLive, revision, last] = (await this.connection.script(
        DELETE_RANGE,
        [this.keys.meta, this.keys.keys, this.keys.exp],
        [min, max, RANGE_CHUNK, this.keys.tp, String(now), header, String(compactionBudget(RANGE_CHUNK))],
      )) as [number, number, number, Buffer]
      live += wereLive
      if (revision > 0) revisions = {first: (revisions as RevisionSpan | null)?.first ?? revision, last: revision}
      if (looked < RANGE_CHUNK) return {deletedLive: live, revisions}
      // Expired keys kept for the history stay in the range: go on after the last key looked at.
      min = Buffer.concat([Buffer.from('('), last])
    }
  }

  async scan({start, end, limit}: ScanRange): Promise<StoredKey[]> {
    this.flush()
    const [min, max] = lexBounds(start, end)
    const reply = (await this.connection.script(SCAN, [this.keys.keys], [min, max, limit, this.keys.rprefix, MAX_HEAD_BYTES])) as Buffer[]
    const keys: StoredKey[] = []
    for (let i = 0; i < reply.length; i += 2) keys.push(decodeKey(reply[i], reply[i + 1]))
    return keys
  }

  async *entries({start, end}: KeyRange): AsyncGenerator<KeyedEntry[], void, undefined> {
    this.flush()
    let from = start
    for (;;) {
      const [min, max] = lexBounds(from, end)
      const reply = (await this.connection.script(
        ENTRIES,
        [this.keys.keys],
        [min, max, ENTRIES_PER_CALL, this.keys.rprefix, ENTRIES_BYTES_PER_CALL],
      )) as Buffer[]
      const batch: KeyedEntry[] = []
      for (let i = 0; i < reply.length; i += 2) batch.push({key: reply[i], ...decodeRecord(reply[i + 1])})
      if (batch.length > 0) yield batch
      if (reply.length / 2 < ENTRIES_PER_CALL && !stoppedEarly(reply)) return
      if (batch.length === 0) return
      from = successor(batch[batch.length - 1].key)
    }
  }

  async stats(now: number): Promise<StoreStats> {
    this.flush()
    const [entries, withExpiry, expired, history] = (await this.connection.pipeline([
      ['ZCARD', this.keys.keys],
      ['ZCARD', this.keys.exp],
      ['ZCOUNT', this.keys.exp, '-inf', String(now)],
      ['HMGET', this.keys.meta, 'rev', 'oldest', 'oldestAt'],
    ])) as [number, number, number, (Buffer | null)[]]
    // As the scripts' reclaim: while history is kept, only what expired by the oldest revision kept.
    const [revision, oldest, oldestAt] = history.map((field) => Number(field?.toString() ?? 0))
    const horizon = oldest >= revision ? now : Math.min(now, oldestAt)
    const reclaimable = horizon === now ? expired : ((await this.connection.call('ZCOUNT', this.keys.exp, '-inf', String(horizon))) as number)
    return {entries, withExpiry, expired, reclaimable, bytesOnDisk: null}
  }

  async reclaimExpired(now: number, max: number): Promise<number> {
    this.flush()
    return (await this.connection.script(
      RECLAIM,
      [this.keys.meta, this.keys.keys, this.keys.exp],
      [String(now), max, this.keys.tp, String(compactionBudget(0))],
    )) as number
  }

  async close(): Promise<void> {
    this.flush()
    await this.connection.release()
  }
}

function decodeValueOf<T>(record: Buffer | null, decode: (value: Uint8Array | undefined, expiresAt: number | null) => T): T {
  return record === null ? decode(undefined, null) : decode(recordValue(record), recordExpiry(record))
}

/** Whether an ENTRIES reply stopped at its byte budget (so more may follow, although fewer than asked came). */
function stoppedEarly(reply: Buffer[]): boolean {
  let bytes = 0
  for (let i = 1; i < reply.length; i += 2) bytes += reply[i].length
  return bytes >= ENTRIES_BYTES_PER_CALL
}

function asArgument(value: string | Buffer | Uint8Array): string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}
