import {KvCommand, helpText} from '../../cli/base-command.js'
import {configured} from '../../cli/config.js'
import {storeLocation} from '../../cli/namespace.js'
import {defaultDataDir} from '../../engine/data-dir.js'
import {describeStoreLocation} from '../../engine/store/location.js'

export default class StoreShow extends KvCommand<typeof StoreShow> {
  static override summary = 'Print the store commands use, and where that choice comes from.'
  static override description = helpText(
    'Prints the store as a URL with its password hidden (or "local (DIR)"), then on stderr where it was chosen: ' +
      '--store, KV_STORE, the settings file (kv store use), or the default.',
  )
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> store show', 'KV_STORE=redis://10.0.0.5 <%= config.bin %> store show --json']

  async run(): Promise<{store: string; source: string}> {
    const {store, dataDir} = storeLocation(this.flags)
    const source = this.flags.store !== undefined ? (process.env.KV_STORE === this.flags.store ? 'KV_STORE' : '--store') : configured('store') !== undefined ? 'settings' : 'default'
    const shown = describeStoreLocation(store, dataDir ?? defaultDataDir())
    if (!this.jsonEnabled()) process.stdout.write(`${shown}\n`)
    return {store: shown, source}
  }
}
