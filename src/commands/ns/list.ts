import {KvCommand, helpText} from '../../cli/base-command.js'
import {humanBytes} from '../../cli/format.js'
import {chosenNamespace, storeLocation} from '../../cli/namespace.js'
import {stdoutIsTerminal, writeLines} from '../../cli/output.js'
import {writeTable} from '../../cli/table.js'
import {isKvError} from '../../engine/errors.js'
import {listNamespaces, openNamespace} from '../../engine/open.js'

export interface NamespaceSummary {
  name: string
  /** Live keys. */
  keys: number
  /** Live keys with an expiration. */
  expiring: number
  /** Expired keys waiting to be reclaimed. */
  expired: number
  /** null on a store that cannot tell (Redis). */
  bytesOnDisk: number | null
  /** Whether commands without -n use this namespace. */
  default: boolean
}

export default class NsList extends KvCommand<typeof NsList> {
  static override summary = 'List namespaces with their key counts and size.'
  static override description = helpText(
    'On a terminal: a table of every namespace with its live keys, keys with an expiration and size on disk; ' +
      '* marks the namespace commands use by default. Otherwise: the names, one per line. ' +
      '--json: [{name, keys, expiring, expired, bytesOnDisk, default}] with plain numbers.',
  )
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> ns list', '<%= config.bin %> ns list --json | jq \'.[] | select(.keys == 0) | .name\'']

  async run(): Promise<NamespaceSummary[]> {
    const location = storeLocation(this.flags)
    const names = await listNamespaces(location)
    // Only the names when that is all a script gets: no namespace has to be opened.
    if (!this.jsonEnabled() && !stdoutIsTerminal()) {
      writeLines(names)
      return []
    }
    const current = chosenNamespace(this.flags, location).name
    const summaries: NamespaceSummary[] = []
    for (const name of names) {
      let namespace
      try {
        namespace = await openNamespace(name, location)
      } catch (error) {
        // Deleted since it was listed: it is gone, so it is not shown.
        if (isKvError(error, 'NAMESPACE_NOT_FOUND')) continue
        throw error
      }
      try {
        summaries.push({name, ...(await namespace.stats()), default: name === current})
      } finally {
        await namespace.close()
      }
    }
    if (!this.jsonEnabled()) {
      const rows = summaries.map((ns) => [`${ns.default ? '* ' : '  '}${ns.name}`, ns.keys, ns.expiring, ns.bytesOnDisk === null ? '-' : humanBytes(ns.bytesOnDisk)])
      await writeTable(['  Namespace', 'Keys', 'Expiring', 'Size'], rows, [1, 2, 3])
    }
    return summaries
  }
}
