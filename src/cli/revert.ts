import type {Namespace} from '../engine/namespace.js'
import type {RevertedKey, Revisions} from '../engine/types.js'
import {plural} from './format.js'
import {message, printableKey, writeLines} from './output.js'
import {confirm, handlingCancel, requireTerminalOr} from './prompts.js'
import {undoHint} from './undo.js'

/** Keys a confirmation names before "and N more". */
const EXAMPLE_KEYS = 5

/** What `kv revert --json` prints. */
export interface RevertJson {
  reverted: number
  revisions: Revisions | null
  changes: {key: string; type: 'put' | 'delete'}[]
}

/**
 * `kv revert`: works out what changes, then (unless a dry run) asks on a terminal or requires --yes, and
 * reverts. Returns what --json prints, or undefined when the user said no or cancelled.
 */
export async function reportRevert(
  namespace: Namespace,
  which: {key: string} | {prefix: string},
  to: number,
  {dryRun, yes, json}: {dryRun: boolean; yes: boolean; json: boolean},
): Promise<RevertJson | undefined> {
  const plan = await namespace.revert({...which, to, dryRun: true})
  if (plan.changes.length === 0) {
    const unchanged =
      'key' in which ? `key ${JSON.stringify(which.key)} is as it was` : which.prefix === '' ? 'every key is as it was' : `the keys starting with ${JSON.stringify(which.prefix)} are as they were`
    if (!json) message(`nothing to revert: ${unchanged} at revision ${to}`)
    return {reverted: 0, revisions: null, changes: []}
  }
  if (dryRun) {
    const changes = plan.changes.map(shown)
    if (json) return {reverted: 0, revisions: null, changes}
    writeLines(changes.map((change) => `${change.type} ${printableKey(change.key)}`))
    message(`would revert ${plural(changes.length, 'key')} to revision ${to} (dry run: nothing written)`)
    return undefined
  }
  if (!yes) {
    requireTerminalOr(`add --yes to revert ${plural(plan.changes.length, 'key')} to revision ${to}`)
    let agreed = false
    const answered = await handlingCancel(async () => {
      agreed = await confirm(`Revert ${summary(plan.changes)} in namespace "${namespace.name}" to revision ${to}?`)
    })
    if (!agreed) {
      if (answered) message('nothing reverted')
      return undefined
    }
  }
  const result = await namespace.revert({...which, to})
  if (!json) message(`reverted ${plural(result.changes.length, 'key')} to revision ${to}${await undoHint(namespace, which, result.revisions)}`)
  return {reverted: result.changes.length, revisions: result.revisions, changes: result.changes.map(shown)}
}

function shown(change: RevertedKey): {key: string; type: 'put' | 'delete'} {
  return {key: change.key, type: change.type}
}

/** "3 keys (2 put back, 1 deleted: "a", "b", "c")". */
function summary(changes: RevertedKey[]): string {
  const puts = changes.filter((change) => change.type === 'put').length
  const names = changes.slice(0, EXAMPLE_KEYS).map((change) => JSON.stringify(change.key))
  const more = changes.length > EXAMPLE_KEYS ? ` and ${changes.length - EXAMPLE_KEYS} more` : ''
  return `${plural(changes.length, 'key')} (${puts} put back, ${changes.length - puts} deleted: ${names.join(', ')}${more})`
}
