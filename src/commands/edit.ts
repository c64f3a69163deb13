import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {editValue, requireEditorTerminal} from '../cli/edit.js'
import {actorFlag} from '../cli/flags.js'

export default class Edit extends KvCommand<typeof Edit> {
  static override summary = 'Edit the value of a key in your editor, safely.'
  static override description = helpText(
    'Opens $VISUAL, else $EDITOR, else vi (the variable may hold arguments, e.g. "code --wait") on a private copy of ' +
      'the value (a 0600 file, its path the last argument). On save it is written back, keeping the key\'s expiration ' +
      'and metadata, unless: nothing changed (nothing written, exit 0); the key changed meanwhile (exit 3, the other ' +
      'change stays); a value that was JSON is not JSON any more (exit 2; on a terminal kv offers to reopen the editor). ' +
      'When the value did not end with a newline, the one an editor adds at the end of the file is not stored. ' +
      'Whenever an edit is not written, the error names the file that keeps your text (Ctrl-C at the question: exit ' +
      '130). Without a terminal, EDITOR or VISUAL must name a command that needs none (exit 2 otherwise). A missing ' +
      'key exits 1; a binary (non-UTF-8) value exits 2.',
  )
  static override enableJsonFlag = true
  static override flags = {actor: actorFlag}
  static override args = {key: Args.string({description: 'Key to edit.', required: true, ignoreStdin: true})}
  static override examples = ['<%= config.bin %> edit feature-flags', 'EDITOR="code --wait" <%= config.bin %> edit -n prod checkout-config']

  async run(): Promise<{key: string; written: boolean}> {
    requireEditorTerminal()
    return this.withNamespace({creates: false}, (namespace) => editValue(namespace, this.args.key))
  }
}
