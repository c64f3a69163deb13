import {hostname, userInfo} from 'node:os'

import {parseStored} from './entry.js'
import {KvError} from './errors.js'
import {prefixEnd} from './key-range.js'
import {checkListLimit, checkRetention, checkRevision, encodeKey, encodePrefix} from './limits.js'
import type {ChangeCause, Compacted, HistoryStore, KeyRange, LogPosition, Retention, StoredChange} from './store/store.js'
import type {Change, HistoryOptions, HistoryPage, HistoryRetention, HistoryState} from './types.js'

/**
 * The history of a namespace as the binding shows it: revisions, who changed what, and any key as it was.
 * The store keeps it (store.ts `HistoryStore`); this turns the binding's options into its requests and its
 * answers into the binding's types, with the errors every store reports the same way. Reverts are in revert.ts.
 */
export class NamespaceHistory {
  constructor(
    private readonly name: string,
    private readonly store: HistoryStore,
  ) {}

  async state(): Promise<HistoryState> {
    const {revision, oldest, retention} = await this.store.state()
    return {revision, oldest, retention: fromStoreRetention(retention)}
  }

  async setRetention(retention: HistoryRetention, now: number): Promise<void> {
    await this.store.setRetention(toStoreRetention(checkRetention(retention)), now)
  }

  /** A page of changes, newest first: one key's, or the namespace's (optionally under a prefix). */
  async changes(options: HistoryOptions = {}): Promise<HistoryPage> {
    const limit = checkListLimit(options.limit)
    if (options.key !== undefined && options.prefix !== undefined) {
      throw new KvError('USAGE', 'history takes a key or a prefix, not both')
    }
    const before = options.cursor == null ? undefined : decodeHistoryCursor(options.cursor)
    let range: KeyRange | undefined
    let key: Uint8Array | undefined
    if (options.key !== undefined) key = encodeKey(options.key)
    else if (options.prefix !== undefined) {
      const start = encodePrefix(options.prefix)
      if (start === null) return {changes: [], cursor: null}
      range = {start, end: prefixEnd(start)}
    }
    const page = this.unlessCompacted(await this.store.changes({key, range, before, limit, values: options.values ?? false}))
    return {changes: page.changes.map((change) => toChange(change, options.values ?? false)), cursor: page.next === null ? null : encodeHistoryCursor(page.next)}
  }

  /** The revision to read at: a whole number no newer than the current revision (else REVISION_INVALID). */
  async checkReadable(revision: unknown): Promise<number> {
    const wanted = checkRevision(revision)
    const {revision: current} = await this.store.state()
    if (wanted > current) {
      throw new KvError('REVISION_INVALID', `revision ${wanted} is newer than namespace "${this.name}"'s current revision (${current})`)
    }
    return wanted
  }

  /** What a store answered, or REVISION_COMPACTED when the revision asked for is no longer kept. */
  unlessCompacted<T>(answer: T | Compacted): T {
    if (isCompacted(answer)) throw this.compacted(answer.oldest)
    return answer
  }

  private compacted(oldest: number): KvError {
    return new KvError(
      'REVISION_COMPACTED',
      `that revision is older than the history namespace "${this.name}" keeps: the oldest revision kept is ${oldest}`,
    )
  }
}

function isCompacted(answer: unknown): answer is Compacted {
  return typeof answer === 'object' && answer !== null && (answer as Compacted).compacted === true
}

function toChange(change: StoredChange, withValue: boolean): Change {
  const {entry, header} = change
  return {
    revision: change.revision,
    key: new TextDecoder().decode(change.key),
    type: entry === null ? 'delete' : 'put',
    at: header.at,
    actor: header.actor,
    operation: header.operation,
    revertedTo: header.revertedTo ?? null,
    size: entry === null ? null : entry.size,
    expiresAt: entry === null ? null : entry.expiresAt,
    metadata: entry === null ? null : parseStored(entry.metadata),
    ...(withValue ? {value: entry === null ? null : (entry.value ?? null)} : {}),
  }
}

/** A history cursor: versioned and checked, so that only one kv made is taken. */
const CURSOR = /^h1\.(\d{1,16})\.(\d{1,10})$/

function encodeHistoryCursor({revision, index}: LogPosition): string {
  return Buffer.from(`h1.${revision}.${index}`).toString('base64url')
}

function decodeHistoryCursor(cursor: unknown): LogPosition {
  const match = typeof cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(cursor) ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null
  if (match === null) throw new KvError('CURSOR_INVALID', 'invalid history cursor: pass the cursor exactly as a previous history page returned it')
  return {revision: Number(match[1]), index: Number(match[2])}
}

export function toStoreRetention(retention: false | {maxAge: number | null; maxRevisions: number | null}): Retention | null {
  if (retention === false) return null
  return {maxAgeMs: retention.maxAge === null ? null : Math.round(retention.maxAge * 1000), maxRevisions: retention.maxRevisions}
}

function fromStoreRetention(retention: Retention | null): HistoryState['retention'] {
  if (retention === null) return false
  return {maxAge: retention.maxAgeMs === null ? null : retention.maxAgeMs / 1000, maxRevisions: retention.maxRevisions}
}

let processActor: string | undefined

/** Who a write is made by unless told: user@host of this process. */
export function defaultActor(): string {
  if (processActor === undefined) {
    let user: string
    try {
      user = userInfo().username
    } catch {
      // No passwd entry (some containers): the environment may still say.
      user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? ''}`
    }
    processActor = `${user}@${hostname()}`
  }
  return processActor
}

export function causeOf(operation: string, actor: string, revertedTo?: number): ChangeCause {
  return revertedTo === undefined ? {actor, operation} : {actor, operation, revertedTo}
}
