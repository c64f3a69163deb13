import type {NamespaceCheck} from '../engine/check.js'
import {humanBytes, plural} from './format.js'
import {message, stdoutIsTerminal, writeLines} from './output.js'
import {writeTable} from './table.js'

/** Problems shown per namespace on stderr; the rest are counted (all of them are in --json). */
export const SHOWN_PROBLEMS = 5

/**
 * What `kv ns check` prints without --json as each namespace's check ends: its problems on stderr, one line
 * each (at most SHOWN_PROBLEMS, then how many more), and, unless stdout is a terminal (which gets a table at
 * the end), one line on stdout: the name and "ok" or "damaged", tab-separated. Notes are for a person:
 * terminal only.
 */
export function reportCheck(checked: NamespaceCheck): void {
  const where = `namespace "${checked.name}"`
  for (const problem of checked.problems.slice(0, SHOWN_PROBLEMS)) message(`${where}: ${problem.message}`)
  if (checked.problemCount > SHOWN_PROBLEMS) message(`${where}: … and ${plural(checked.problemCount - SHOWN_PROBLEMS, 'more problem')}`)
  if (stdoutIsTerminal()) for (const note of checked.notes) message(`${where}: note: ${note}`)
  else writeLines([`${checked.name}\t${checked.ok ? 'ok' : 'damaged'}`])
}

/** On a terminal: one row per namespace (LMDB's page figures; "-" where a Redis store has none). */
export async function writeCheckTable(checks: NamespaceCheck[]): Promise<void> {
  const rows = checks.map((checked) => {
    const lmdb = checked.details?.store === 'lmdb' ? checked.details : undefined
    const depth = lmdb?.databases.find((db) => db.name === 'records')?.depth
    return [
      checked.name,
      checked.ok ? 'ok' : `DAMAGED (${plural(checked.problemCount, 'problem')})`,
      checked.keys,
      checked.expired,
      depth ?? '-',
      lmdb?.pages.inUse ?? '-',
      lmdb?.pages.free ?? '-',
      checked.bytesOnDisk === null ? '-' : humanBytes(checked.bytesOnDisk),
    ]
  })
  await writeTable(['Namespace', 'Status', 'Keys', 'Expired', 'Depth', 'Pages used', 'Free pages', 'Size'], rows, [2, 3, 4, 5, 6, 7])
}

/** The last line when some namespaces are damaged (the exit code is 4). */
export function damagedSummary(checks: NamespaceCheck[]): string | undefined {
  const damaged = checks.filter((checked) => !checked.ok)
  if (damaged.length === 0) return undefined
  if (checks.length === 1) return `namespace "${damaged[0].name}" is damaged (${plural(damaged[0].problemCount, 'problem')})`
  return `${damaged.length} of ${checks.length} namespaces are damaged: ${damaged.map((checked) => checked.name).join(', ')}`
}
