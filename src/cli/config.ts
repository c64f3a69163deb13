import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

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
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[name]
    return typeof value === 'string' ? value : undefined
  } catch {
    throw new KvError('CONFIG_INVALID', `the settings file ${file} is not valid JSON; fix or delete it`)
  }
}

/** The namespace set with `kv ns use`, if any. */
export function configuredDefaultNamespace(file = configFile()): string | undefined {
  return configured('defaultNamespace', file)
}
