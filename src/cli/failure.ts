import {KvError, type KvErrorCode} from '../engine/errors.js'
import {EXIT, exitCodeFor} from './exit-codes.js'
import {PromptCancelled} from './prompts.js'
import {usageMessage} from './usage-errors.js'

export interface Failure {
  code: KvErrorCode | 'CANCELLED' | 'INTERNAL'
  exitCode: number
  /** One line, for stderr. */
  message: string
}

/** What the user is told, and the exit code, for anything a command throws. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof KvError) return {code: error.code, exitCode: exitCodeFor(error.code), message: oneLine(error.message)}
  if (error instanceof PromptCancelled) return {code: 'CANCELLED', exitCode: EXIT.cancelled, message: error.message}
  const oclifExit = (error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit
  // oclif's own errors (unknown command or flag, missing argument, …) are usage errors.
  if (oclifExit !== undefined && error instanceof Error) {
    return {code: 'USAGE', exitCode: oclifExit === 0 ? EXIT.ok : EXIT.invalid, message: oneLine(usageMessage(error, 'kv'))}
  }
  const text = error instanceof Error ? error.message : String(error)
  return {code: 'INTERNAL', exitCode: EXIT.internal, message: `internal error: ${oneLine(text)} (run with KV_DEBUG=1 for details)`}
}

/** Tells the user what went wrong in one line on stderr (a JSON line under --json) and sets the exit code. */
export function reportFailure(error: unknown, {json}: {json: boolean}): void {
  const failure = describeFailure(error)
  if (process.env.KV_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? error}\n`)
  if (failure.exitCode !== EXIT.ok) {
    const line = json ? JSON.stringify({error: {code: failure.code, message: failure.message}}) : `kv: ${failure.message}`
    process.stderr.write(`${line}\n`)
  }
  process.exitCode = failure.exitCode
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
