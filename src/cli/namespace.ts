import {resolve} from 'node:path'

import {defaultDataDir} from '../engine/data-dir.js'
import {KvError, isKvError} from '../engine/errors.js'
import {Namespace} from '../engine/namespace.js'
import {openNamespace, type LocationOptions} from '../engine/open.js'
import {EmptyStore} from '../engine/store/empty.js'
import {describeStoreLocation, parseStoreLocation} from '../engine/store/location.js'
import {configFile, configuredDefaultNamespace, configuredStore} from './config.js'

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

export type CommandLocation = LocationOptions & {store: string}

/** `--store` (or KV_STORE), else the store set with `kv store use`, else local files under --data-dir. */
export function storeLocation(flags: LocationFlags): CommandLocation {
  return {store: flags.store ?? configuredStore() ?? 'local', dataDir: flags['data-dir']}
}

/**
 * How the settings file names a store, for the default namespace kept per store: a local data dir by its
 * absolute path; a Redis server by its address, database and key prefix (what decides which namespaces it
 * holds), never by its password or timeouts.
 */
export function storeKey({store, dataDir}: CommandLocation): string {
  const location = parseStoreLocation(store)
  if (location.kind !== 'redis') return `local:${resolve(dataDir ?? defaultDataDir())}`
  const {tls, socket, nodes, db, prefix} = location.target
  const where = socket ?? nodes.map(({host, port}) => `${host}:${port}`).join(',')
  return `${tls ? 'rediss' : 'redis'}://${where}/${db}?prefix=${prefix}`
}

/** How messages name a store: "local (DIR)" or its URL without the password. */
export function describeLocation({store, dataDir}: CommandLocation): string {
  return describeStoreLocation(store, dataDir ?? defaultDataDir())
}

/** The namespace set with `kv ns use` for this store, if any. */
export function savedNamespace(location: CommandLocation): string | undefined {
  return configuredDefaultNamespace(storeKey(location), location.store === 'local')
}

/** The namespace a command works on, and whether it is the one saved with `kv ns use`. */
export interface ChosenNamespace {
  name: string
  saved: boolean
}

/** `-n` (or KV_NAMESPACE), else the namespace set with `kv ns use` for this store, else "default". */
export function chosenNamespace(flags: NamespaceFlags, location = storeLocation(flags)): ChosenNamespace {
  if (flags.namespace !== undefined) return {name: flags.namespace, saved: false}
  const saved = savedNamespace(location)
  return saved === undefined ? {name: DEFAULT_NAMESPACE, saved: false} : {name: saved, saved: true}
}

/**
 * What every command says of a namespace that is not there: which store it looked in and, when the name is
 * the saved default, that it came from the settings file.
 */
export function namespaceMissing({name, saved}: ChosenNamespace, location: CommandLocation): KvError {
  const how = saved
    ? `; it is this store's default namespace, saved in ${configFile()} by kv ns use: create it with kv ns create ${name}, or choose another with kv ns use`
    : ` (create it with: kv ns create ${name})`
  return new KvError('NAMESPACE_NOT_FOUND', `namespace "${name}" does not exist in ${describeLocation(location)}${how}`)
}

/** Runs `work`, which looks up `chosen`; a namespace it does not find is reported with `namespaceMissing`. */
export async function findingNamespace<T>(chosen: ChosenNamespace, location: CommandLocation, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw isKvError(error, 'NAMESPACE_NOT_FOUND') ? namespaceMissing(chosen, location) : error
  }
}

/**
 * Opens the namespace a command works on. The default namespace comes into being on its first write
 * (`creates`); until then it reads as empty. Any other namespace must have been created with `kv ns create`.
 */
export async function openCommandNamespace(flags: NamespaceFlags, {creates}: {creates: boolean}): Promise<Namespace> {
  const location = {...storeLocation(flags), actor: flags.actor}
  const chosen = chosenNamespace(flags, location)
  const {name} = chosen
  return findingNamespace(chosen, location, async () => {
    if (name !== DEFAULT_NAMESPACE) return openNamespace(name, location)
    if (creates) return openNamespace(name, {...location, create: true})
    try {
      return await openNamespace(name, location)
    } catch (error) {
      if (!(error instanceof KvError && error.code === 'NAMESPACE_NOT_FOUND')) throw error
      return new Namespace(name, new EmptyStore())
    }
  })
}
