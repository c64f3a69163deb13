import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {historyFlag} from '../../cli/flags.js'
import {storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {createNamespace} from '../../engine/open.js'

export default class NsCreate extends KvCommand<typeof NsCreate> {
  static override summary = 'Create a namespace.'
  static override description = helpText(
    'Names are 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit. ' +
      'Creating a namespace that already exists fails with exit code 3.\n\n' +
      '--history says how much history it keeps (kv history, kv revert): changes are dropped once older than the age ' +
      'or beyond the newest count of revisions, a little at a time as writes go; off keeps none (for sessions and ' +
      'counters written all day). Default: 30 days and 100,000 revisions. kv ns set changes it later.',
  )
  static override enableJsonFlag = true
  static override flags = {history: historyFlag}
  static override args = {name: Args.string({description: 'Name of the new namespace.', required: true, ignoreStdin: true})}
  static override examples = [
    '<%= config.bin %> ns create flags && <%= config.bin %> put -n flags beta on',
    '<%= config.bin %> ns create sessions --history off',
    '<%= config.bin %> ns create config --history 90d,10000',
  ]

  async run(): Promise<{name: string; created: true}> {
    const {name} = this.args
    await createNamespace(name, {...storeLocation(this.flags), history: this.flags.history})
    if (!this.jsonEnabled()) message(`created namespace "${name}"`)
    return {name, created: true}
  }
}
