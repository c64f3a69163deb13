import {Args, Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {changeForJson, changeLine, type ChangeJson} from '../cli/changes.js'
import {cursorFlag} from '../cli/flags.js'
import {message, stdoutIsTerminal, writeLines} from '../cli/output.js'
import {parseListLimit} from '../engine/limits.js'

export default class History extends KvCommand<typeof History> {
  static override summary = 'Show who changed what, and when: the changes of a key or of the whole namespace, newest first.'
  static override description = helpText(
    'Each change is one line: its revision, when it committed, the actor, what happened (put or delete, and the ' +
      'operation when it was an import, an increment, a batch or a revert), the key, and for a put the value\'s size, ' +
      'expiry and metadata. With KEY: that key\'s changes. Without: the namespace\'s log (--prefix: only keys that ' +
      'start with it). An expired key is not a change: its history shows the TTL it was written with.\n\n' +
      '--json prints {changes: [{revision, key, type, actor, at, operation, revertedTo, size, expiresAt, metadata}], ' +
      'cursor}; --values adds each put\'s value and base64 (as kv get --json has them), so a script can diff versions. ' +
      'at and expiresAt are ms since the epoch. cursor is null on the last page; pass it back with --cursor for older ' +
      'changes. Only what the namespace keeps is shown: kv ns list --json says how far back that goes.',
  )
  static override enableJsonFlag = true
  static override args = {key: Args.string({description: 'Key whose changes to show [default: every key].', ignoreStdin: true})}
  static override flags = {
    prefix: Flags.string({description: 'Only changes of keys that start with this prefix (matched literally); not with KEY.'}),
    limit: Flags.custom<number>({
      description: 'Maximum number of changes to show (1 to 100000) [default: 1000].',
      helpValue: '<n>',
      parse: async (text) => parseListLimit(text),
    })(),
    cursor: cursorFlag,
    values: Flags.boolean({description: 'With --json: include each put\'s value.'}),
  }
  static override examples = [
    '<%= config.bin %> history feature-flags',
    '<%= config.bin %> history --prefix flag: --limit 20',
    '<%= config.bin %> history feature-flags --json --values | jq -r \'.changes[1].value\'',
    '<%= config.bin %> history --json --cursor "$cursor"',
  ]

  async run(): Promise<{changes: ChangeJson[]; cursor: string | null}> {
    const {key} = this.args
    const {prefix, limit, cursor, values} = this.flags
    const page = await this.withNamespace({creates: false}, (namespace) => namespace.history({key, prefix, limit, cursor, values: values && this.jsonEnabled()}))
    if (!this.jsonEnabled()) {
      const separator = stdoutIsTerminal() ? '  ' : '\t'
      writeLines(page.changes.map((change) => changeLine(change).join(separator)))
      if (page.cursor !== null) message(`older changes follow: continue with --cursor ${page.cursor}`)
    }
    return {changes: page.changes.map(changeForJson), cursor: page.cursor}
  }
}
