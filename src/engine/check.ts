import {KvError, isKvError} from './errors.js'
import {checkNamespaceName} from './limits.js'
import type {Clock} from './namespace.js'
import {backendFor, type LocationOptions} from './open.js'
import type {StoreCheck} from './store/check.js'
import type {StoreBackend} from './store/store.js'

export type {CheckProblem, CheckProblemKind, LmdbCheckDetails, RedisCheckDetails} from './store/check.js'

export interface CheckOptions extends LocationOptions {
  /** Time source in ms since the epoch: which keys count as expired. */
  clock?: Clock
}

/** What `checkNamespace` found, counted as `Namespace.stats()` counts. */
export interface NamespaceCheck extends Omit<StoreCheck, 'entries' | 'withExpiry'> {
  name: string
  /** True when nothing is wrong (no problems; notes are not problems). */
  ok: boolean
  /** Live keys. */
  keys: number
  /** Live keys with an expiration. */
  expiring: number
}

/**
 * Checks a namespace's integrity (`kv ns check`) and reports what is wrong instead of failing: on local
 * LMDB every page of its data file and every entry, read in a child process so that a damaged page which
 * makes LMDB abort is reported, never crashes the caller; on Redis, that its indexes and records agree.
 * Fails only when the namespace does not exist (NAMESPACE_NOT_FOUND) or the store cannot be reached.
 */
export async function checkNamespace(name: string, options: CheckOptions = {}): Promise<NamespaceCheck> {
  checkNamespaceName(name)
  const backend = await backendFor(options)
  try {
    return await checkOne(backend, name, options.clock ?? Date.now)
  } finally {
    await backend.close()
  }
}

/** Checks every namespace of the store, one after another in name order (skipping any deleted meanwhile). */
export async function* checkEveryNamespace(options: CheckOptions = {}): AsyncGenerator<NamespaceCheck, void, undefined> {
  // One backend for the whole run: on Redis, one connection.
  const backend = await backendFor(options)
  try {
    const names = await backend.names()
    if (backend.checkEach !== undefined) {
      for await (const {name, check} of backend.checkEach(names, {now: (options.clock ?? Date.now)()})) yield namespaceCheck(name, check)
      return
    }
    for (const name of names) {
      let checked: NamespaceCheck
      try {
        checked = await checkOne(backend, name, options.clock ?? Date.now)
      } catch (error) {
        if (isKvError(error, 'NAMESPACE_NOT_FOUND')) continue
        throw error
      }
      yield checked
    }
  } finally {
    await backend.close()
  }
}

async function checkOne(backend: StoreBackend, name: string, clock: Clock): Promise<NamespaceCheck> {
  if (backend.check === undefined) throw new KvError('USAGE', `${backend.description} cannot check namespaces`)
  return namespaceCheck(name, await backend.check(name, {now: clock()}))
}

function namespaceCheck(name: string, {entries, withExpiry, expired, ...found}: StoreCheck): NamespaceCheck {
  return {name, ok: found.problemCount === 0, keys: entries - expired, expiring: withExpiry - expired, expired, ...found}
}
