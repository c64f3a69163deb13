import {defaultDataDir} from './data-dir.js'
import {checkNamespaceName} from './limits.js'
import {Namespace, type Clock} from './namespace.js'
import {LmdbBackend} from './store/lmdb.js'

export interface LocationOptions {
  /** Directory that holds the namespaces; defaults to `KV_DATA_DIR` or the platform's data directory. */
  dataDir?: string
}

export interface OpenOptions extends LocationOptions {
  /** Create the namespace when it does not exist yet (otherwise that is NAMESPACE_NOT_FOUND). */
  create?: boolean
  /** Time source in ms since the epoch; tests inject one to move time without sleeping. */
  clock?: Clock
}

function backendFor(options: LocationOptions): LmdbBackend {
  return new LmdbBackend(options.dataDir ?? defaultDataDir())
}

/** Opens a namespace with the binding API (`get`, `put`, `delete`, `list`). Close it when done. */
export async function openNamespace(name: string, options: OpenOptions = {}): Promise<Namespace> {
  const store = await backendFor(options).open(checkNamespaceName(name), {create: options.create ?? false})
  return new Namespace(name, store, options.clock)
}

/** Creates an empty namespace; fails with NAMESPACE_EXISTS when it is already there. */
export async function createNamespace(name: string, options: LocationOptions = {}): Promise<void> {
  await backendFor(options).create(checkNamespaceName(name))
}

export async function namespaceExists(name: string, options: LocationOptions = {}): Promise<boolean> {
  return backendFor(options).exists(checkNamespaceName(name))
}

/** Names of every namespace in the data directory, sorted. */
export async function listNamespaces(options: LocationOptions = {}): Promise<string[]> {
  return backendFor(options).names()
}

/**
 * Deletes a namespace and all its keys. It disappears at once and completely (one rename); a process that
 * still has it open keeps working on a private copy that is freed when it closes.
 */
export async function deleteNamespace(name: string, options: LocationOptions = {}): Promise<void> {
  await backendFor(options).remove(checkNamespaceName(name))
}
