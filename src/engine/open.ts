import {defaultDataDir} from './data-dir.js'
import {toStoreRetention} from './history.js'
import {checkActor, checkNamespaceName, checkRetention} from './limits.js'
import {Namespace, type Clock} from './namespace.js'
import {DEFAULT_RETENTION} from './store/retention.js'
import type {CreateOptions, StoreBackend} from './store/store.js'
import type {HistoryRetention} from './types.js'
import {parseStoreLocation, type RedisClientLike, type StoreLocation} from './store/location.js'

export interface LocationOptions {
  /**
   * Where namespaces live: "local" (the default: LMDB files under `dataDir`), a Redis / Valkey URL
   * (`redis://`, `rediss://`, `redis+unix://`; a Cluster is detected), or an ioredis client or cluster the
   * app already holds (kv never closes it).
   */
  store?: string | RedisClientLike
  /** Directory that holds local namespaces; defaults to `KV_DATA_DIR` or the platform's data directory. */
  dataDir?: string
}

export interface NewNamespaceOptions extends LocationOptions {
  /**
   * How much history a namespace created here keeps (also one upgraded from an older kv): `false` for none,
   * or `{maxAge: seconds, maxRevisions}`. Default: 30 days and 100,000 revisions. `setHistory` changes it later.
   */
  history?: HistoryRetention
  /** Time source in ms since the epoch; tests inject one to move time without sleeping. */
  clock?: Clock
}

export interface OpenOptions extends NewNamespaceOptions {
  /** Create the namespace when it does not exist yet (otherwise that is NAMESPACE_NOT_FOUND). */
  create?: boolean
  /** Who this handle's writes are made by, recorded in the history (default: user@host). */
  actor?: string
}

/**
 * The backend for a location. Each is loaded only when used, so a local command never loads the Redis
 * client and a Redis one never loads lmdb-js (import() of a bundled module is evaluated lazily too).
 */
export async function backendFor(options: LocationOptions): Promise<StoreBackend> {
  const location: StoreLocation = parseStoreLocation(options.store ?? 'local')
  if (location.kind === 'lmdb') {
    const {LmdbBackend} = await import('./store/lmdb/backend.js')
    return new LmdbBackend(options.dataDir ?? defaultDataDir())
  }
  const {RedisBackend} = await import('./store/redis/backend.js')
  return RedisBackend.connect(location)
}

/** Runs `work` with a backend of its own, released afterwards. */
async function withBackend<T>(options: LocationOptions, work: (backend: StoreBackend) => Promise<T>): Promise<T> {
  const backend = await backendFor(options)
  try {
    return await work(backend)
  } finally {
    await backend.close()
  }
}

/** Opens a namespace with the binding API (`get`, `put`, `delete`, `list`). Close it when done. */
export async function openNamespace(name: string, options: OpenOptions = {}): Promise<Namespace> {
  checkNamespaceName(name)
  // Before anything is opened or created: a bad actor must leave no trace.
  if (options.actor !== undefined) checkActor(options.actor)
  const creating = creation(options)
  const backend = await backendFor(options)
  try {
    const store = await backend.open(name, {create: options.create ?? false, ...creating})
    return new Namespace(name, store, options.clock, options.actor)
  } finally {
    // The store keeps what it needs of the backend (a connection) until it is closed.
    await backend.close()
  }
}

/** Creates an empty namespace; fails with NAMESPACE_EXISTS when it is already there. */
export async function createNamespace(name: string, options: NewNamespaceOptions = {}): Promise<void> {
  checkNamespaceName(name)
  const creating = creation(options)
  await withBackend(options, (backend) => backend.create(name, creating))
}

/** What a namespace created (or upgraded) with these options starts with. */
function creation(options: NewNamespaceOptions): CreateOptions {
  const retention = options.history === undefined ? DEFAULT_RETENTION : toStoreRetention(checkRetention(options.history))
  return {retention, now: (options.clock ?? Date.now)()}
}

export async function namespaceExists(name: string, options: LocationOptions = {}): Promise<boolean> {
  checkNamespaceName(name)
  return withBackend(options, (backend) => backend.exists(name))
}

/** Names of every namespace in the store, sorted. */
export async function listNamespaces(options: LocationOptions = {}): Promise<string[]> {
  return withBackend(options, (backend) => backend.names())
}

/**
 * Deletes a namespace and all its keys. It disappears at once and completely; on LMDB a process that still
 * has it open keeps working on a private copy that is freed when it closes; on Redis such a process's writes
 * fail with NAMESPACE_NOT_FOUND and its reads find nothing, and the keys are freed in chunks of 1,000.
 */
export async function deleteNamespace(name: string, options: LocationOptions = {}): Promise<void> {
  checkNamespaceName(name)
  await withBackend(options, (backend) => backend.remove(name))
}
