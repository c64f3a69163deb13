import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {createNamespace} from '../../engine/open.js'

export default class NsCreate extends KvCommand<typeof NsCreate> {
  static override summary = 'Create a namespace.'
  static override description = helpText(
    'Names are 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit. ' +
      'Creating a namespace that already exists fails with exit code 3.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Name of the new namespace.', required: true, ignoreStdin: true})}
  static override examples = ['<%= config.bin %> ns create sessions', '<%= config.bin %> ns create flags && <%= config.bin %> put -n flags beta on']

  async run(): Promise<{name: string; created: true}> {
    const {name} = this.args
    await createNamespace(name, storeLocation(this.flags))
    if (!this.jsonEnabled()) message(`created namespace "${name}"`)
    return {name, created: true}
  }
}
