import type {ScanRange, Store, StoredEntry, StoredKey, StoredValue, StoreSnapshot, StoreStats, StoreTransaction, StoreView, WriteOp} from './store.js'

const emptyView: StoreView = {
  get: () => undefined,
  entries: (): Iterable<StoredEntry> => [],
}

function cannotStore(): never {
  throw new Error('EmptyStore cannot store values')
}

/**
 * A namespace that does not exist yet, seen by a command that must not create it: reads find nothing
 * and deletes have nothing to do. Anything that would store data has to open the real namespace.
 */
export class EmptyStore implements Store {
  async read(_key: Uint8Array): Promise<StoredValue | undefined> {
    return undefined
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.some((op) => op.type === 'put')) cannotStore()
  }

  async update<T>(body: (txn: StoreTransaction) => T): Promise<Awaited<T>> {
    return (await body({...emptyView, put: cannotStore, delete: () => {}})) as Awaited<T>
  }

  snapshot(): StoreSnapshot {
    return {...emptyView, close: () => {}}
  }

  async stats(): Promise<StoreStats> {
    return {entries: 0, withExpiry: 0, expired: 0, bytesOnDisk: 0}
  }

  async scan(_range: ScanRange): Promise<StoredKey[]> {
    return []
  }

  async reclaimExpired(): Promise<number> {
    return 0
  }

  async close(): Promise<void> {}
}
