import {Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {readInputText} from '../cli/input-stream.js'
import {parseKeyList} from '../engine/bulk/key-list.js'
import {KvError} from '../engine/errors.js'

export default class Delete extends KvCommand<typeof Delete> {
  static override summary = 'Delete one or more keys.'
  static override description = helpText('Deletes every KEY given, in one transaction. Keys that do not exist are fine.')
  static override usage = '<%= command.id %> KEY...'
  // Any number of keys: oclif v4 has no variadic arguments, so the keys arrive as extra argv.
  static override strict = false
  static override flags = {
    from: Flags.string({
      description: 'Delete the keys listed in this file (- for stdin): one per line, a JSON array of names or of {"name"} objects, or `kv list --json` output.',
      helpValue: '<path>',
    }),
  }
  static override examples = ['<%= config.bin %> delete session:abc', '<%= config.bin %> delete a b c', '<%= config.bin %> delete -- -odd-key', '<%= config.bin %> list --prefix tmp: | <%= config.bin %> delete --from -']

  async run(): Promise<void> {
    const {from} = this.flags
    if (from !== undefined) {
      if (this.rest.length > 0) throw new KvError('USAGE', 'give keys either as arguments or with --from, not both')
      const listed = parseKeyList(await readInputText(from, 'key list'))
      await this.withNamespace({creates: false}, (namespace) => namespace.deleteMany(listed))
      return
    }
    const keys = this.rest
    if (keys.length === 0) throw new KvError('USAGE', 'no key given: kv delete KEY...')
    // Non-strict parsing lets a mistyped flag through as a key; only `--` makes a leading dash literal.
    const stray = keys.find((key) => key.startsWith('-'))
    if (stray !== undefined && !this.argv.includes('--')) {
      throw new KvError('USAGE', `unknown flag ${stray} (to delete a key that starts with "-", put -- before it)`)
    }
    await this.withNamespace({creates: false}, (namespace) => namespace.deleteMany(keys))
  }
}
