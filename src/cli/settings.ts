import {KvError} from '../engine/errors.js'
import {loadLazily} from './lazy.js'

/**
 * Writes the user's settings with `conf` (atomic writes, the platform's config directory, XDG_CONFIG_HOME
 * honoured through env-paths). Imported only by `kv ns use`: reading stays in config.ts, which parses the
 * same file without loading `conf`. Returns the file written.
 */
export async function saveDefaultNamespace(name: string): Promise<string> {
  const {default: Conf} = loadLazily<typeof import('conf')>('conf')
  try {
    const settings = new Conf<{defaultNamespace?: string}>({projectName: 'kv', projectSuffix: ''})
    settings.set('defaultNamespace', name)
    return settings.path
  } catch (error) {
    throw new KvError('CONFIG_INVALID', `cannot update the settings file: ${(error as Error).message}; fix or delete it`)
  }
}
