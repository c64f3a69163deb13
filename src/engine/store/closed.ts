import {KvError} from '../errors.js'
import type {Store} from './store.js'

/**
 * What a namespace uses once it is closed: every call fails with NAMESPACE_CLOSED, the same on every store,
 * instead of whatever the store's driver says of a closed handle (lmdb-js: "Can not renew a transaction from
 * a closed database"). Closing again is fine.
 */
export function closedStore(name: string): Store {
  const closed = () => Promise.reject(new KvError('NAMESPACE_CLOSED', `namespace "${name}" is closed: open it again with openNamespace`))
  return {
    get: closed,
    getValue: closed,
    getMany: closed,
    write: closed,
    writeAll: closed,
    deleteRange: closed,
    scan: closed,
    entries: () => ({[Symbol.asyncIterator]: () => ({next: closed})}),
    stats: closed,
    reclaimExpired: closed,
    history: {state: closed, setRetention: closed, changes: closed, entriesAt: closed, keysChangedSince: closed},
    close: () => Promise.resolve(),
  }
}
