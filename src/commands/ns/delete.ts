import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'
import {plural} from '../../cli/format.js'
import {findingNamespace, savedNamespace, storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {confirm, handlingCancel, requireTerminalOr} from '../../cli/prompts.js'
import {deleteNamespace, openNamespace} from '../../engine/open.js'

export default class NsDelete extends KvCommand<typeof NsDelete> {
  static override summary = 'Delete a namespace and every key in it.'
  static override description = helpText(
    'Asks for confirmation on a terminal, naming how many keys go; --yes skips the question and is required ' +
      'without a terminal (exit 2 otherwise, nothing deleted). The namespace disappears at once and completely; ' +
      'a process that has it open keeps working on a private copy until it closes. A missing namespace exits 1.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Namespace to delete.', required: true, ignoreStdin: true})}
  static override flags = {yes: yesFlag}
  static override examples = ['<%= config.bin %> ns delete scratch', '<%= config.bin %> ns delete scratch --yes']

  async run(): Promise<{name: string; deleted: boolean; keys: number} | undefined> {
    const {name} = this.args
    const location = storeLocation(this.flags)
    // Opening it first also checks that it exists (exit 1 when not), before anything is asked.
    const namespace = await findingNamespace({name, saved: false}, location, () => openNamespace(name, location))
    const {keys} = await namespace.stats().finally(() => namespace.close())
    let deleted = this.flags.yes
    if (!deleted) {
      requireTerminalOr(`add --yes to delete namespace "${name}"`)
      const answered = await handlingCancel(async () => {
        deleted = await confirm(`Delete namespace "${name}" and its ${plural(keys, 'key')}?`)
      })
      if (!answered) return undefined
    }
    if (!deleted) {
      message(`namespace "${name}" kept`)
    } else {
      await deleteNamespace(name, location)
      if (!this.jsonEnabled()) message(`deleted namespace "${name}" (${plural(keys, 'key')})`)
      if (savedNamespace(location) === name) message(`"${name}" was the default namespace: choose another with kv ns use`)
    }
    return {name, deleted, keys}
  }
}
