import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {cleanInteractively} from '../../cli/clean.js'
import {actorFlag} from '../../cli/flags.js'
import {openCommandNamespace, storeLocation} from '../../cli/namespace.js'
import {handlingCancel, requireTerminalOr} from '../../cli/prompts.js'

export default class NsClean extends KvCommand<typeof NsClean> {
  static override summary = 'Interactively choose keys to delete from a namespace.'
  static override description = helpText(
    'On a terminal: asks for a key prefix (empty: all keys), lists the matching live keys with size and expiry ' +
      'to choose from (space toggles one, a toggles all, i inverts the choice, Enter submits), asks for confirmation, ' +
      'then deletes the chosen keys in one transaction. More than 200 matches: type a longer prefix (it starts from ' +
      'the one typed), choose among the first 200, or explicitly delete all of them. Offers to purge expired keys ' +
      'still taking space. Without a terminal it exits 2: use kv delete --prefix in scripts. Ctrl-C cancels (exit 130).',
  )
  static override flags = {actor: actorFlag}
  static override args = {name: Args.string({description: 'Namespace to clean [default: the current namespace].', ignoreStdin: true})}
  static override examples = ['<%= config.bin %> ns clean', '<%= config.bin %> ns clean sessions']

  async run(): Promise<void> {
    requireTerminalOr('kv ns clean is interactive; in a script use kv delete --prefix PREFIX --yes')
    const flags = {...this.flags, namespace: this.args.name ?? this.flags.namespace}
    const namespace = await openCommandNamespace(flags, {creates: false})
    const space = storeLocation(flags).store === 'local' ? 'disk space' : 'memory'
    try {
      await handlingCancel(() => cleanInteractively(namespace, {space}))
    } finally {
      await namespace.close()
    }
  }
}
