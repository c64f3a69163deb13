import {readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

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
  checkPrivate(file)
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

/**
 * Refuses (CONFIG_INVALID) a settings file, or its folder, that another user could write: settings name the
 * store, so whoever changes them points kv at their own server, which then receives every value and the
 * password. They must belong to this user (or root) and be writable by nobody else. Not on Windows (no modes).
 */
export function checkPrivate(file: string): void {
  const uid = process.getuid?.()
  if (uid === undefined) return
  for (const [path, what, mode] of [[dirname(file), 'folder', '700'], [file, 'file', '600']] as const) {
    let stat
    try {
      stat = statSync(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new KvError('CONFIG_INVALID', `cannot read the settings ${what} ${path}: ${(error as Error).message}`)
    }
    const problem =
      stat.uid !== uid && stat.uid !== 0 ? `belongs to another user (uid ${stat.uid})` : (stat.mode & 0o022) !== 0 ? `can be changed by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})` : undefined
    if (problem !== undefined) {
      throw new KvError('CONFIG_INVALID', `the settings ${what} ${path} ${problem}, so kv does not trust it: make it yours alone (chmod ${mode} '${path}') or delete it`)
    }
  }
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
