import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {message} from '../../cli/output.js'
import {saveStore} from '../../cli/settings.js'
import {listNamespaces} from '../../engine/open.js'
import {describeStoreLocation} from '../../engine/store/location.js'

export default class StoreUse extends KvCommand<typeof StoreUse> {
  static override summary = 'Set the store commands use when --store is not given.'
  static override description = helpText(
    'URL is "local" (LMDB files in the data dir, the default) or a Redis / Valkey URL: redis://[user:password@]host[:port][/db], ' +
      'rediss:// for TLS, redis+unix:///path/to.sock, or several Cluster seed nodes as redis://host:port,host:port. ' +
      'kv connects first and saves nothing when the server cannot be used (exit 4). Saved in the user\'s settings file ' +
      '(private to the user: the URL may hold a password); --store and KV_STORE still win over it.',
  )
  static override enableJsonFlag = true
  static override args = {url: Args.string({description: 'Store URL, or "local".', required: true, ignoreStdin: true})}
  static override examples = [
    '<%= config.bin %> store use redis://127.0.0.1:6379',
    '<%= config.bin %> store use "rediss://kv:$KV_PASSWORD@cache.internal:6380/2"',
    '<%= config.bin %> store use local',
  ]

  async run(): Promise<{store: string}> {
    const {url} = this.args
    const shown = describeStoreLocation(url, this.flags['data-dir'] ?? 'the data dir')
    // Listing namespaces checks the URL, the connection, the credentials and the server's eviction policy.
    await listNamespaces({store: url, dataDir: this.flags['data-dir']})
    const file = await saveStore(url === 'local' ? undefined : url)
    if (!this.jsonEnabled()) message(`commands now use ${shown} (saved in ${file})`)
    return {store: shown}
  }
}
