import {isLiveAt, parseStored} from './entry.js'
import {decodeCursor, encodeCursor, maxBytes, prefixEnd, successor} from './key-range.js'
import {checkListLimit, encodePrefix} from './limits.js'
import type {Store, StoredKey} from './store/store.js'
import type {ListPage, ListPageOptions} from './types.js'

const utf8Decoder = new TextDecoder()

/**
 * One page of live keys (as at `now`) with their expiry times, metadata and revisions, and a cursor to walk
 * any number of keys: expired keys the store still holds are skipped, however many there are in a row.
 */
export async function listPage(store: Store, now: number, options: ListPageOptions = {}): Promise<ListPage> {
  const limit = checkListLimit(options.limit)
  const prefix = encodePrefix(options.prefix)
  if (prefix === null) return {keys: [], cursor: null, complete: true}
  const end = prefixEnd(prefix)
  let start = options.cursor == null ? prefix : maxBytes(prefix, successor(decodeCursor(options.cursor)))

  // Gather one key more than asked for: it tells whether the list is complete.
  const live: StoredKey[] = []
  while (live.length <= limit) {
    const wanted = limit + 1 - live.length
    const batch = await store.scan({start, end, limit: wanted})
    for (const stored of batch) if (isLiveAt(stored.expiresAt, now)) live.push(stored)
    if (batch.length < wanted) break
    start = successor(batch[batch.length - 1].key)
  }

  const complete = live.length <= limit
  const page = complete ? live : live.slice(0, limit)
  return {
    keys: page.map(({key, expiresAt, metadata, revision}) => ({name: utf8Decoder.decode(key), expiresAt, metadata: parseStored(metadata), revision})),
    cursor: complete ? null : encodeCursor(page[page.length - 1].key),
    complete,
  }
}
