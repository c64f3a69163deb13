import {KvCommand, helpText} from '../../cli/base-command.js'
import {configFile, configuredStore} from '../../cli/config.js'
import {describeLocation, storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'

type Source = '--store' | 'KV_STORE' | 'settings' | 'default'

export default class StoreShow extends KvCommand<typeof StoreShow> {
  static override summary = 'Print the store commands use, and where that choice comes from.'
  static override description = helpText(
    'Prints the store as a URL with its password hidden (or "local (DIR)"), then on stderr where it was chosen: ' +
      '--store, KV_STORE, the settings file (kv store use), or the default. --json prints {store, source}, source ' +
      'being one of "--store", "KV_STORE", "settings" or "default".',
  )
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> store show', 'KV_STORE=redis://10.0.0.5 <%= config.bin %> store show --json']

  async run(): Promise<{store: string; source: Source}> {
    const shown = describeLocation(storeLocation(this.flags))
    const source: Source =
      this.flags.store !== undefined ? (process.env.KV_STORE === this.flags.store ? 'KV_STORE' : '--store') : configuredStore() !== undefined ? 'settings' : 'default'
    if (!this.jsonEnabled()) {
      process.stdout.write(`${shown}\n`)
      message(SOURCE_WORDS[source]())
    }
    return {store: shown, source}
  }
}

const SOURCE_WORDS: Record<Source, () => string> = {
  '--store': () => 'chosen with --store',
  KV_STORE: () => 'chosen with the KV_STORE environment variable',
  settings: () => `chosen with kv store use (saved in ${configFile()})`,
  default: () => 'the default: no --store, KV_STORE or kv store use',
}
