import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {revisionFlag} from '../cli/flags.js'
import {entryForJson, writeJson, writeValue, type EntryJson} from '../cli/output.js'
import {KvError} from '../engine/errors.js'

export default class Get extends KvCommand<typeof Get> {
  static override summary = 'Print the value of a key, or of several keys as JSON.'
  static override description = helpText(
    'One key: writes the value\'s exact bytes to stdout (a newline is added only on a terminal); --json prints ' +
      '{key, value, base64, expiresAt, metadata}. Several keys are read from one consistent view and always print ' +
      'as one JSON object keyed by key, each value in the one-key --json shape, null for a missing key (values may ' +
      'hold newlines, so no other format is safe). A missing or expired key exits 1, after the others are printed.\n\n' +
      'With --revision N: the values as they were right after revision N (kv history lists revisions); a key that did ' +
      'not exist then (or had expired) exits 1, and a revision older than the history kept exits 1 naming the oldest kept.',
  )
  static override usage = ['<%= command.id %> KEY [--json]', '<%= command.id %> KEY KEY... [--json]']
  static override enableJsonFlag = true
  // Any number of keys after the first: oclif v4 has no variadic arguments, so they arrive as extra argv.
  static override strict = false
  static override flags = {revision: revisionFlag}
  static override args = {key: Args.string({description: 'Key to read (more may follow).', required: true, ignoreStdin: true})}
  static override examples = [
    '<%= config.bin %> get feature-flags',
    '<%= config.bin %> get avatar:42 > avatar.png',
    '<%= config.bin %> get session:abc --json',
    '<%= config.bin %> get feature-flags --revision 811',
    '<%= config.bin %> get flag:beta flag:checkout | jq \'.["flag:beta"].value\'',
  ]

  async run(): Promise<EntryJson | Record<string, EntryJson | null>> {
    const keys = [this.args.key, ...this.rest]
    const {revision} = this.flags
    const {entries, name} = await this.withNamespace({creates: false}, async (namespace) => ({
      // A past revision never changes: its keys read one by one are one consistent view.
      entries: revision === undefined ? await namespace.getEntries(keys) : new Map(await Promise.all(keys.map(async (key) => [key, await namespace.getEntry(key, {revision})] as const))),
      name: namespace.name,
    }))
    const missing = keys.filter((key) => entries.get(key) === null)
    const when = revision === undefined ? '' : ` at revision ${revision}`
    const notFound = () =>
      new KvError('KEY_NOT_FOUND', `${missing.length === 1 ? 'key' : 'keys'} ${missing.map((key) => JSON.stringify(key)).join(', ')} not found in namespace "${name}"${when}`)
    if (keys.length === 1) {
      const entry = entries.get(keys[0])
      if (entry == null) throw notFound()
      if (!this.jsonEnabled()) writeValue(entry.value)
      return entryForJson(keys[0], entry)
    }
    const found = Object.fromEntries(keys.map((key) => [key, entries.get(key) ? entryForJson(key, entries.get(key)!) : null]))
    // Printed before a missing key fails the command, so a script gets what there is.
    if (missing.length > 0 || !this.jsonEnabled()) writeJson(found)
    if (missing.length > 0) throw notFound()
    return found
  }
}
