import {Args, Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {actorFlag, formatFlag} from '../cli/flags.js'
import {atRevisions} from '../cli/undo.js'
import {plural} from '../cli/format.js'
import {openInputStream} from '../cli/input-stream.js'
import {message} from '../cli/output.js'
import {importProgress} from '../cli/progress.js'
import {importBulk, type ImportResult} from '../engine/bulk/import.js'

export default class Import extends KvCommand<typeof Import> {
  static override summary = 'Import keys from a Workers KV bulk file (JSON array or NDJSON), all or nothing.'
  static override description = helpText(
    'Each record is {"key", "value", "base64"?, "expiration"?, "expiration_ttl"?, "metadata"?}: base64 true means the value is ' +
      'base64 of the bytes; expiration is seconds since the epoch, expiration_ttl seconds from now (it wins). The format is ' +
      'detected from the first character ("[" json, "{" ndjson) unless --format is given. Every record is checked and written ' +
      'in one transaction: at the first bad record nothing is written and the error names the record and its line. Records ' +
      'whose expiration has passed are skipped and counted. metadata (any JSON of at most 1024 bytes) is stored with ' +
      'the key; unknown fields are ignored with a warning.\n\n' +
      'With --if-absent only records whose key is missing or expired are written (of several records for one key, the ' +
      'first): how a pipeline seeds defaults without flipping what admins set. The others are left as they are and ' +
      'counted; it exits 0 either way. --json prints {imported, skipped, existing, revisions}: records written, records ' +
      'skipped as already expired, records left alone because their key exists.',
  )
  static override enableJsonFlag = true
  static override args = {file: Args.string({description: 'Bulk file to read, or - for stdin.', required: true, ignoreStdin: true})}
  static override flags = {
    format: formatFlag,
    'if-absent': Flags.boolean({description: 'Write only the records whose key is missing or expired; leave the others as they are.'}),
    actor: actorFlag,
  }
  static override examples = [
    '<%= config.bin %> import flags.json',
    '<%= config.bin %> export -n prod | <%= config.bin %> import - -n staging',
    '<%= config.bin %> import --format ndjson backup.ndjson --json',
    '<%= config.bin %> import defaults.json -n flags --if-absent',
  ]

  async run(): Promise<ImportResult> {
    const {chunks, size} = openInputStream(this.args.file, 'records')
    const progress = importProgress(size)
    const {name, result} = await this.withNamespace({creates: true}, async (namespace) => {
      try {
        const result = await importBulk(namespace, progress.track(chunks), {
          format: this.flags.format,
          ifAbsent: this.flags['if-absent'],
          onWarning: message,
          onProgress: (records) => progress.update(records),
        })
        return {name: namespace.name, result}
      } finally {
        progress.stop()
      }
    })
    if (!this.jsonEnabled()) {
      const skipped = result.skipped > 0 ? ` (${result.skipped} skipped: already expired)` : ''
      // Records, not keys: a key given twice counts twice (the later record wins), and telling them apart would
      // take a set of every key imported.
      const at = result.revisions === null ? '' : ` ${atRevisions(result.revisions)}`
      const existing = this.flags['if-absent'] ? `; ${plural(result.existing, 'record')} left as ${result.existing === 1 ? 'it was' : 'they were'} (the key exists)` : ''
      message(`imported ${plural(result.imported, 'record')} into ${name}${at}${skipped}${existing}`)
    }
    return result
  }
}
