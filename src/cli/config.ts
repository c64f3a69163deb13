import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {KvError} from '../engine/errors.js'

/**
 * What the settings file holds: the store (`kv store use`) and, for each store, the namespace commands use
 * without -n (`kv ns use`). `defaultNamespace` is where kv before 0.2 saved one default for every store.
 */
export interface Settings {
  store?: string
  defaultNamespaces?: Record<string, string>
  defaultNamespace?: string
}

/**
 * The user's settings file. It is `conf`'s JSON format at `conf`'s path for project "kv", so `kv ns use`
 * can write it with `conf` while every other command reads the one value it needs without loading `conf`
 * (and its JSON-schema validator) on the start-up path.
 */
export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = homedir()
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', 'kv', 'config.json')
  if (process.platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'kv', 'Config', 'config.json')
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'kv', 'config.json')
}

/** The settings file's contents ({} when there is none). */
function readSettings(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new KvError('CONFIG_INVALID', `cannot read the settings file ${file}: ${(error as Error).message}`)
  }
  let settings: unknown
  try {
    settings = JSON.parse(text)
  } catch {
    throw new KvError('CONFIG_INVALID', `the settings file ${file} is not valid JSON; fix or delete it`)
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new KvError('CONFIG_INVALID', `the settings file ${file} is not valid JSON for kv (not an object); fix or delete it`)
  }
  return settings as Record<string, unknown>
}

/** The store set with `kv store use`, if any. */
export function configuredStore(file = configFile()): string | undefined {
  const {store} = readSettings(file)
  return typeof store === 'string' ? store : undefined
}

/**
 * The namespace set with `kv ns use` for the store `storeKey` names (see `storeKey` in namespace.ts), if any.
 * A default saved by an older kv, for every store at once, still counts for local stores that have none of
 * their own: that is where it was set.
 */
export function configuredDefaultNamespace(storeKey: string, local: boolean, file = configFile()): string | undefined {
  const {defaultNamespaces, defaultNamespace} = readSettings(file)
  const own = typeof defaultNamespaces === 'object' && defaultNamespaces !== null ? (defaultNamespaces as Record<string, unknown>)[storeKey] : undefined
  if (typeof own === 'string') return own
  return local && typeof defaultNamespace === 'string' ? defaultNamespace : undefined
}
