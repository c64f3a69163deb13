import {Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {yesFlag} from '../cli/flags.js'
import {deleteByPrefix} from '../cli/delete-prefix.js'
import {KvError} from '../engine/errors.js'

export default class Delete extends KvCommand<typeof Delete> {
  static override summary = 'Delete one or more keys, or every key with a prefix.'
  static override description = helpText(
    'Deletes every KEY given, in one transaction. Keys that do not exist are fine.\n\n' +
      'With --prefix P instead of keys: deletes every live key that starts with P, in one transaction. On a terminal ' +
      'it first shows the count and a few of the keys and asks; without a terminal --yes is required (exit 2 ' +
      'otherwise). An empty prefix means the whole namespace and needs --yes even on a terminal. Prints the number ' +
      'deleted on stderr; --json prints {"deleted": n} on stdout.',
  )
  static override usage = ['<%= command.id %> KEY...', '<%= command.id %> --prefix PREFIX [--yes] [--json]']
  // Any number of keys: oclif v4 has no variadic arguments, so the keys arrive as extra argv.
  static override strict = false
  static override enableJsonFlag = true
  static override flags = {
    prefix: Flags.string({description: 'Delete every live key that starts with this prefix (matched literally; "" is every key).'}),
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> delete session:abc',
    '<%= config.bin %> delete a b c',
    '<%= config.bin %> delete -- -odd-key',
    '<%= config.bin %> delete --prefix cache:',
    '<%= config.bin %> delete --prefix tmp: --yes --json',
  ]

  async run(): Promise<{deleted: number} | undefined> {
    const keys = this.rest
    // Non-strict parsing lets a mistyped flag through as a key; only `--` makes a leading dash literal.
    const stray = keys.find((key) => key.startsWith('-'))
    if (stray !== undefined && !this.argv.includes('--')) {
      throw new KvError('USAGE', `unknown flag ${stray} (to delete a key that starts with "-", put -- before it)`)
    }
    const {prefix, yes} = this.flags
    if (prefix !== undefined) {
      if (keys.length > 0) throw new KvError('USAGE', 'give either keys or --prefix, not both')
      return this.withNamespace({creates: false}, (namespace) => deleteByPrefix(namespace, prefix, {yes, json: this.jsonEnabled()}))
    }
    if (keys.length === 0) throw new KvError('USAGE', 'no key given: kv delete KEY... or kv delete --prefix PREFIX')
    await this.withNamespace({creates: false}, (namespace) => namespace.deleteMany(keys))
    return undefined
  }
}
