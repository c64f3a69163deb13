import type {
  HistoryStore,
  KeyedEntry,
  KeyRange,
  RevisionSpan,
  ScanRange,
  Store,
  StoredEntry,
  StoredKey,
  StoreStats,
  WriteAllResult,
  WriteOp,
  WriteResult,
} from './store.js'

function cannotStore(): never {
  throw new Error('EmptyStore cannot store values')
}

/**
 * A namespace that does not exist yet, seen by a command that must not create it: reads find nothing
 * and deletes have nothing to do. Anything that would store data has to open the real namespace.
 */
export class EmptyStore implements Store {
  async get(): Promise<StoredEntry | undefined> {
    return undefined
  }

  async getValue<T>(_key: Uint8Array, decode: (value: undefined, expiresAt: null) => T): Promise<T> {
    return decode(undefined, null)
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(StoredEntry | undefined)[]> {
    return keys.map(() => undefined)
  }

  async write(ops: readonly WriteOp[]): Promise<WriteResult> {
    if (ops.some((op) => op.type === 'put')) cannotStore()
    // Nothing is live here: a precondition that needs a live entry fails.
    const failed = ops.findIndex((op) => op.if !== undefined && !('absent' in op.if))
    return failed === -1 ? {applied: true, wasLive: ops.map(() => false), revision: null} : {applied: false, failed}
  }

  async writeAll(chunks: AsyncIterable<readonly WriteOp[]>): Promise<WriteAllResult> {
    for await (const ops of chunks) if (ops.some((op) => op.type === 'put')) cannotStore()
    return {deletedLive: 0, skipped: 0, revisions: null}
  }

  async deleteRange(_range: KeyRange): Promise<{deletedLive: number; revisions: RevisionSpan | null}> {
    return {deletedLive: 0, revisions: null}
  }

  async scan(_range: ScanRange): Promise<StoredKey[]> {
    return []
  }

  async *entries(_range: KeyRange): AsyncGenerator<KeyedEntry[], void, undefined> {}

  async stats(): Promise<StoreStats> {
    return {entries: 0, withExpiry: 0, expired: 0, reclaimable: 0, bytesOnDisk: 0}
  }

  async reclaimExpired(): Promise<number> {
    return 0
  }

  /** Revision 0 and nothing before it: the state of a namespace before its first write. */
  readonly history: HistoryStore = {
    state: async () => ({revision: 0, oldest: 0, retention: null}),
    setRetention: async () => cannotStore(),
    changes: async () => ({changes: [], next: null}),
    entriesAt: async (keys) => ({at: 0, entries: keys.map(() => undefined)}),
    keysChangedSince: async () => [],
  }

  async close(): Promise<void> {}
}
