import {KvError} from '../engine/errors.js'

/**
 * oclif's "command ns:lst not found" (its help's "Command ns:lst not found." for `kv help ns lst`), in kv's
 * words: the command as the user typed it (`kv ns lst`, not oclif's internal "ns:lst") and the nearest
 * command, when one is near. Undefined for any other error. main.ts asks only after a start has failed: the
 * commands that run pay nothing for it.
 */
export function unknownCommand(error: unknown, argv: readonly string[], bin: string, commandIds: readonly string[]): KvError | undefined {
  const id = /^command (\S+) not found\.?$/i.exec((error as Error | undefined)?.message ?? '')?.[1]
  if (id === undefined || (error as {oclif?: unknown}).oclif === undefined) return undefined
  // Only flags (`kv -n flags`): oclif took the first one for the command.
  if (id.startsWith('-')) return new KvError('USAGE', `no command in "${bin} ${argv.join(' ')}"; ${bin} --help lists the commands`)
  const firstFlag = argv.findIndex((word) => word.startsWith('-'))
  const words = firstFlag === -1 ? argv : argv.slice(0, firstFlag)
  const nearest = nearestCommand(words, commandIds.map((known) => known.split(':')))
  const typed = nearest === undefined ? id.split(':').join(' ') : nearest.typed
  const hint = nearest === undefined ? `${bin} --help lists the commands` : `did you mean "${bin} ${nearest.command}"?`
  return new KvError('USAGE', `command "${bin} ${typed}" not found; ${hint}`)
}

/**
 * The command closest in edits to the words typed (as many of them as it has words), if it is close enough to
 * be what was meant; and those words.
 */
function nearestCommand(words: readonly string[], commands: readonly string[][]): {command: string; typed: string} | undefined {
  let best: {command: string; typed: string; distance: number} | undefined
  for (const parts of commands) {
    const command = parts.join(' ')
    const typed = words.slice(0, parts.length).join(' ')
    // A shortened command ("del") is as near as a typo.
    const distance = command.startsWith(typed) && typed.length >= 3 ? 1 : editDistance(typed, command)
    if (distance <= Math.max(1, Math.floor(command.length / 3)) && (best === undefined || distance < best.distance)) best = {command, typed, distance}
  }
  return best
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
    }
  }
  return rows[a.length][b.length]
}
