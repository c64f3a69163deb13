import {KvError} from '../engine/errors.js'
import {Namespace} from '../engine/namespace.js'
import {openNamespace, type LocationOptions} from '../engine/open.js'
import {EmptyStore} from '../engine/store/empty.js'
import {configured, configuredDefaultNamespace} from './config.js'

export const DEFAULT_NAMESPACE = 'default'

export interface LocationFlags {
  store?: string
  'data-dir'?: string
}

export interface NamespaceFlags extends LocationFlags {
  namespace?: string
  /** Who the command's changes are made by (commands that write take --actor). */
  actor?: string
}

/** `--store` (or KV_STORE), else the store set with `kv store use`, else local files under --data-dir. */
export function storeLocation(flags: LocationFlags): LocationOptions & {store: string} {
  return {store: flags.store ?? configured('store') ?? 'local', dataDir: flags['data-dir']}
}

/** `-n` (or KV_NAMESPACE), else the namespace set with `kv ns use`, else "default". */
export function namespaceName(flags: NamespaceFlags): string {
  return flags.namespace ?? configuredDefaultNamespace() ?? DEFAULT_NAMESPACE
}

/**
 * Opens the namespace a command works on. The default namespace comes into being on its first write
 * (`creates`); until then it reads as empty. Any other namespace must have been created with `kv ns create`.
 */
export async function openCommandNamespace(flags: NamespaceFlags, {creates}: {creates: boolean}): Promise<Namespace> {
  const name = namespaceName(flags)
  const location = {...storeLocation(flags), actor: flags.actor}
  if (name !== DEFAULT_NAMESPACE) return openNamespace(name, location)
  if (creates) return openNamespace(name, {...location, create: true})
  try {
    return await openNamespace(name, location)
  } catch (error) {
    if (!(error instanceof KvError && error.code === 'NAMESPACE_NOT_FOUND')) throw error
    return new Namespace(name, new EmptyStore())
  }
}
