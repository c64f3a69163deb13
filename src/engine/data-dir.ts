import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where namespaces live when no directory is given: `KV_DATA_DIR`, else the platform's data directory
 * (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KV_DATA_DIR) return env.KV_DATA_DIR
  const home = homedir()
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'kv')
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'kv', 'Data')
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'kv')
}
