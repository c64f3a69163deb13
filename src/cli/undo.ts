import type {Revisions} from '../engine/types.js'
import {DEFAULT_NAMESPACE} from './namespace.js'
import {shellWord} from './shell.js'

/** "at revision 812" or, where a store applied a big write in chunks, "at revisions 812-815". */
export function atRevisions({first, last}: Revisions): string {
  return first === last ? `at revision ${first}` : `at revisions ${first}-${last}`
}

/**
 * What a command that changed keys appends to its message: where it did it, and the command that undoes it
 * (" at revision 812; undo: kv revert --prefix tmp: --to 811"); nothing when it changed nothing.
 */
export function undoHint(namespace: string, which: {key: string} | {prefix: string}, revisions: Revisions | null): string {
  if (revisions === null) return ''
  const where = namespace === DEFAULT_NAMESPACE ? '' : ` -n ${namespace}`
  // A key or prefix that starts with "-" must not read as a flag.
  const selection =
    'key' in which
      ? `${which.key.startsWith('-') ? '-- ' : ''}${shellWord(which.key)}`
      : `--prefix${which.prefix.startsWith('-') ? '=' : ' '}${shellWord(which.prefix)}`
  return ` ${atRevisions(revisions)}; undo: kv revert --to ${revisions.first - 1}${where} ${selection}`
}
