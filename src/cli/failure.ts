import {KvError, type KvErrorCode} from '../engine/errors.js'
import {EXIT, exitCodeFor} from './exit-codes.js'

export interface Failure {
  code: KvErrorCode | 'INTERNAL'
  exitCode: number
  /** One line, for stderr. */
  message: string
}

/** Unexpected errors are bugs; they get their own documented exit code (EX_SOFTWARE from sysexits.h). */
export const INTERNAL_EXIT = 70

/** What the user is told, and the exit code, for anything a command throws. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof KvError) return {code: error.code, exitCode: exitCodeFor(error.code), message: oneLine(error.message)}
  const oclifExit = (error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit
  // oclif's own parse errors (unknown flag, missing argument, …) are usage errors.
  if (oclifExit !== undefined && error instanceof Error) {
    return {code: 'USAGE', exitCode: EXIT.invalid, message: oneLine(error.message)}
  }
  const text = error instanceof Error ? error.message : String(error)
  return {code: 'INTERNAL', exitCode: INTERNAL_EXIT, message: `internal error: ${oneLine(text)} (run with KV_DEBUG=1 for details)`}
}

/** oclif writes multi-line messages ("Parsing --limit \n\t… \nSee more help with --help"); scripts get one line. */
function oneLine(text: string): string {
  return text
    .replace(/^Parsing (--\S+)\s*\n\s*/, '$1: ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('See more help with'))
    .join(' ')
    .replace(/\s+/g, ' ')
}
