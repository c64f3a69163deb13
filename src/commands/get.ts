import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {valueForJson, writeValue} from '../cli/output.js'
import {KvError} from '../engine/errors.js'

export default class Get extends KvCommand<typeof Get> {
  static override summary = 'Print the value of a key.'
  static override description = helpText(
    'Writes the value\'s exact bytes to stdout (a newline is added only on a terminal). A missing or expired key prints nothing on stdout and exits 1.',
  )
  static override enableJsonFlag = true
  static override args = {key: Args.string({description: 'Key to read.', required: true, ignoreStdin: true})}
  static override examples = ['<%= config.bin %> get feature-flags', '<%= config.bin %> get avatar:42 > avatar.png', '<%= config.bin %> get session:abc --json']

  async run(): Promise<{key: string; value: string; base64: boolean; expiresAt: number | null}> {
    const {key} = this.args
    const {entry, name} = await this.withNamespace({creates: false}, async (namespace) => ({
      entry: await namespace.getEntry(key),
      name: namespace.name,
    }))
    if (entry === null) throw new KvError('KEY_NOT_FOUND', `key ${JSON.stringify(key)} not found in namespace "${name}"`)
    if (!this.jsonEnabled()) writeValue(entry.value)
    return {key, ...valueForJson(entry.value), expiresAt: entry.expiresAt}
  }
}
