import {readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

import {KvError} from '../engine/errors.js'

/** What the settings file holds: the default namespace (`kv ns use`) and the store (`kv store use`). */
export interface Settings {
  defaultNamespace?: string
  store?: string
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

/** One setting, if it is set (to a string). */
export function configured(name: keyof Settings, file = configFile()): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new KvError('CONFIG_INVALID', `cannot read the settings file ${file}: ${(error as Error).message}`)
  }
  checkPrivate(file)
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[name]
    return typeof value === 'string' ? value : undefined
  } catch {
    throw new KvError('CONFIG_INVALID', `the settings file ${file} is not valid JSON; fix or delete it`)
  }
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

/** The namespace set with `kv ns use`, if any. */
export function configuredDefaultNamespace(file = configFile()): string | undefined {
  return configured('defaultNamespace', file)
}
