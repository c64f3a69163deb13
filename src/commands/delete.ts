import {Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {deleteByPrefix} from '../cli/delete-prefix.js'
import {actorFlag, yesFlag} from '../cli/flags.js'
import {readInputText} from '../cli/input-stream.js'
import {parseKeyList} from '../engine/bulk/key-list.js'
import {KvError} from '../engine/errors.js'

export default class Delete extends KvCommand<typeof Delete> {
  static override summary = 'Delete keys: the ones given, the ones listed in a file, or every key with a prefix.'
  static override description = helpText(
    'Deletes every KEY given, in one transaction. Keys that do not exist are fine.\n\n' +
      'With --from FILE (- for stdin): deletes the keys listed there, in one transaction: one per line, a JSON array ' +
      'of names or of {"name": ...} objects (as `wrangler kv key list` prints), or what `kv list --json` prints.\n\n' +
      'With --prefix P: deletes every live key that starts with P, in one transaction. On a terminal ' +
      'it first shows the count and a few of the keys and asks; without a terminal --yes is required (exit 2 ' +
      'otherwise). An empty prefix means the whole namespace and needs --yes even on a terminal. Prints the number ' +
      'deleted on stderr.\n\nWith --json, every form prints {"deleted": n} on stdout: how many live keys went.',
  )
  static override usage = ['<%= command.id %> KEY...', '<%= command.id %> --from FILE', '<%= command.id %> --prefix PREFIX [--yes] [--json]']
  // Any number of keys: oclif v4 has no variadic arguments, so the keys arrive as extra argv.
  static override strict = false
  static override enableJsonFlag = true
  static override flags = {
    from: Flags.string({
      description: 'Delete the keys listed in this file (- for stdin): one per line, a JSON array of names or of {"name"} objects, or `kv list --json` output.',
      helpValue: '<path>',
      exclusive: ['prefix'],
    }),
    prefix: Flags.string({description: 'Delete every live key that starts with this prefix (matched literally; "" is every key).'}),
    yes: yesFlag,
    actor: actorFlag,
  }
  static override examples = [
    '<%= config.bin %> delete session:abc',
    '<%= config.bin %> delete a b c',
    '<%= config.bin %> delete -- -odd-key',
    '<%= config.bin %> list --prefix tmp: | <%= config.bin %> delete --from -',
    '<%= config.bin %> delete --prefix cache:',
    '<%= config.bin %> delete --prefix tmp: --yes --json',
  ]

  async run(): Promise<{deleted: number} | undefined> {
    const keys = this.rest
    const {from, prefix, yes} = this.flags
    if (from !== undefined) {
      if (keys.length > 0) throw new KvError('USAGE', 'give keys either as arguments or with --from, not both')
      const listed = parseKeyList(await readInputText(from, 'key list'))
      return this.deleteKeys(listed)
    }
    if (prefix !== undefined) {
      if (keys.length > 0) throw new KvError('USAGE', 'give either keys or --prefix, not both')
      return this.withNamespace({creates: false}, (namespace) => deleteByPrefix(namespace, prefix, {yes, json: this.jsonEnabled()}))
    }
    if (keys.length === 0) throw new KvError('USAGE', 'no key given: kv delete KEY..., kv delete --from FILE or kv delete --prefix PREFIX')
    return this.deleteKeys(keys)
  }

  /** Quiet by default (scripts delete keys in loops); `--json` says how many of them existed. */
  private async deleteKeys(keys: string[]): Promise<{deleted: number}> {
    const deleted = await this.withNamespace({creates: false}, (namespace) => namespace.deleteMany(keys))
    return {deleted}
  }
}
