import {KvCommand, helpText} from '../../cli/base-command.js'
import {humanBytes, retentionSpec} from '../../cli/format.js'
import {chosenNamespace, storeLocation} from '../../cli/namespace.js'
import {stdoutIsTerminal, writeLines} from '../../cli/output.js'
import {writeTable} from '../../cli/table.js'
import {isKvError} from '../../engine/errors.js'
import {listNamespaces, openNamespace} from '../../engine/open.js'
import type {HistoryState} from '../../engine/types.js'

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
  /** The current revision. */
  revision: number
  /** The oldest revision that can still be read (kv get --revision, kv revert --to). */
  oldestRevision: number
  /** How much history it keeps (maxAge in seconds), or false for none. */
  history: HistoryState['retention']
  /** Whether commands without -n use this namespace. */
  default: boolean
}

export default class NsList extends KvCommand<typeof NsList> {
  static override summary = 'List namespaces with their key counts and size.'
  static override description = helpText(
    'On a terminal: a table of every namespace with its live keys, keys with an expiration, size on disk, current ' +
      'revision and the history it keeps; * marks the namespace commands use by default. Otherwise: the names, one ' +
      'per line. --json: [{name, keys, expiring, expired, bytesOnDisk, revision, oldestRevision, history, default}] ' +
      'with plain numbers (history: {maxAge in seconds, maxRevisions}, or false).',
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
        const [stats, {oldest, retention}] = await Promise.all([namespace.stats(), namespace.historyState()])
        summaries.push({name, ...stats, oldestRevision: oldest, history: retention, default: name === current})
      } finally {
        await namespace.close()
      }
    }
    if (!this.jsonEnabled()) {
      const rows = summaries.map((ns) => [
        `${ns.default ? '* ' : '  '}${ns.name}`,
        ns.keys,
        ns.expiring,
        ns.bytesOnDisk === null ? '-' : humanBytes(ns.bytesOnDisk),
        ns.revision,
        retentionSpec(ns.history),
      ])
      await writeTable(['  Namespace', 'Keys', 'Expiring', 'Size', 'Revision', 'History'], rows, [1, 2, 3, 4])
    }
    return summaries
  }
}
