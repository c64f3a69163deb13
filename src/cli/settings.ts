import {mkdirSync} from 'node:fs'
import {dirname} from 'node:path'

import {KvError} from '../engine/errors.js'
import {checkPrivate, configFile, type Settings} from './config.js'
import {loadLazily} from './lazy.js'

/**
 * Writes one of the user's settings with `conf` (atomic writes, the platform's config directory,
 * XDG_CONFIG_HOME honoured through env-paths), or removes it (`undefined`). Imported only by the commands
 * that change settings: reading stays in config.ts, which parses the same file without loading `conf`.
 * The file is private (0600) and so is its folder (0700, whatever the umask; conf would make it 0777 less the
 * umask): a store URL may hold a password, and whoever can change the file can point kv at their own server.
 * Returns the file written.
 */
export async function saveSetting<K extends keyof Settings>(name: K, value: Settings[K] | undefined): Promise<string> {
  const file = configFile()
  try {
    mkdirSync(dirname(file), {recursive: true, mode: 0o700})
  } catch (error) {
    throw new KvError('CONFIG_INVALID', `cannot create the settings folder ${dirname(file)}: ${(error as Error).message}`)
  }
  checkPrivate(file)
  const {default: Conf} = loadLazily<typeof import('conf')>('conf')
  try {
    const settings = new Conf<Settings>({projectName: 'kv', projectSuffix: '', configFileMode: 0o600})
    if (value === undefined) settings.delete(name)
    else settings.set(name, value)
    return settings.path
  } catch (error) {
    throw new KvError('CONFIG_INVALID', `cannot update the settings file: ${(error as Error).message}; fix or delete it`)
  }
}
