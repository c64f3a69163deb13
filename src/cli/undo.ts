import type {Namespace} from '../engine/namespace.js'
import type {Revisions} from '../engine/types.js'
import {DEFAULT_NAMESPACE} from './namespace.js'
import {shellWord} from './shell.js'

/** "at revision 812" or, where a store applied a big write in chunks, "at revisions 812-815". */
export function atRevisions({first, last}: Revisions): string {
  return first === last ? `at revision ${first}` : `at revisions ${first}-${last}`
}

/**
 * What a command that changed keys appends to its message: where it did it, and the command that undoes it
 * (" at revision 812; undo: kv revert --to 811 --prefix tmp:"); only where it did it when the namespace keeps no
 * history (nothing could be put back); nothing when it changed nothing.
 */
export async function undoHint(namespace: Namespace, which: {key: string} | {prefix: string}, revisions: Revisions | null): Promise<string> {
  if (revisions === null) return ''
  if ((await namespace.historyState()).retention === false) return ` ${atRevisions(revisions)} (no history kept: it cannot be undone)`
  return undoLine(namespace.name, which, revisions)
}

function undoLine(namespace: string, which: {key: string} | {prefix: string}, revisions: Revisions): string {
  const where = namespace === DEFAULT_NAMESPACE ? '' : ` -n ${namespace}`
  // A key or prefix that starts with "-" must not read as a flag.
  const selection =
    'key' in which
      ? `${which.key.startsWith('-') ? '-- ' : ''}${shellWord(which.key)}`
      : `--prefix${which.prefix.startsWith('-') ? '=' : ' '}${shellWord(which.prefix)}`
  return ` ${atRevisions(revisions)}; undo: kv revert --to ${revisions.first - 1}${where} ${selection}`
}
