import {KvCommand, helpText} from '../cli/base-command.js'
import {formatFlag, prefixFlag} from '../cli/flags.js'
import {exportBulk} from '../engine/bulk/export.js'

export default class Export extends KvCommand<typeof Export> {
  static override summary = 'Write every live key to stdout as Workers KV bulk records.'
  static override description = helpText(
    'Streams every live key (under --prefix) in byte order as {"key", "value", "base64"?, "expiration"?, "metadata"?} ' +
      'records: values that are not valid UTF-8 are base64 with "base64": true; expiration is seconds since the epoch ' +
      '(fractional when the expiry is not on a whole second). A local namespace is read from one consistent snapshot; ' +
      'on Redis, 256 keys at a time, each batch consistent. NDJSON by default; --format json writes one array that ' +
      '`wrangler kv bulk put` accepts. `kv import` reads either back exactly.',
  )
  static override flags = {prefix: prefixFlag, format: formatFlag}
  static override examples = [
    '<%= config.bin %> export > backup.ndjson',
    '<%= config.bin %> export --prefix flag: --format json > flags.json',
    '<%= config.bin %> export -n prod | <%= config.bin %> import - -n staging',
  ]

  async run(): Promise<void> {
    const {prefix, format} = this.flags
    try {
      await this.withNamespace({creates: false}, (namespace) => exportBulk(namespace, process.stdout, {prefix, format}))
    } catch (error) {
      // The reader went away (`kv export | head`): stop quietly, as other Unix tools do.
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error
    }
  }
}
