import type {ScanRange, Store, StoredKey, StoredValue, WriteOp} from './store.js'

/**
 * A namespace that does not exist yet, seen by a command that must not create it: reads find nothing
 * and deletes have nothing to do. Anything that would store data has to open the real namespace.
 */
export class EmptyStore implements Store {
  async read(_key: Uint8Array): Promise<StoredValue | undefined> {
    return undefined
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.some((op) => op.type === 'put')) throw new Error('EmptyStore cannot store values')
  }

  async scan(_range: ScanRange): Promise<StoredKey[]> {
    return []
  }

  async reclaimExpired(): Promise<number> {
    return 0
  }

  async close(): Promise<void> {}
}
