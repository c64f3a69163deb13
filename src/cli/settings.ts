import {mkdirSync} from 'node:fs'
import {dirname} from 'node:path'

import {KvError} from '../engine/errors.js'
import {checkPrivate, configFile, type Settings} from './config.js'
import {loadLazily} from './lazy.js'

type Conf = import('conf').default<Settings>

/**
 * Changes the user's settings with `conf` (atomic writes, the platform's config directory, XDG_CONFIG_HOME
 * honoured through env-paths). Imported only by the commands that change settings: reading stays in
 * config.ts, which parses the same file without loading `conf`. The file is private (0600) and so is its
 * folder (0700, whatever the umask; conf would make it 0777 less the umask): a store URL may hold a password,
 * and whoever can change the file can point kv at their own server. Returns the file written.
 */
function changeSettings(change: (settings: Conf) => void): string {
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
    change(settings)
    return settings.path
  } catch (error) {
    throw new KvError('CONFIG_INVALID', `cannot update the settings file: ${(error as Error).message}; fix or delete it`)
  }
}

/** Saves the store commands use (`kv store use`), or removes it (`undefined`: back to local). */
export async function saveStore(store: string | undefined): Promise<string> {
  return changeSettings((settings) => (store === undefined ? settings.delete('store') : settings.set('store', store)))
}

/** Saves the namespace commands use without -n on the store `storeKey` names (`kv ns use`). */
export async function saveDefaultNamespace(storeKey: string, name: string): Promise<string> {
  return changeSettings((settings) => {
    const saved = settings.get('defaultNamespaces')
    settings.set('defaultNamespaces', {...(typeof saved === 'object' && saved !== null ? saved : {}), [storeKey]: name})
  })
}
