import {KvError} from '../engine/errors.js'
import {EXIT} from './exit-codes.js'
import {loadLazily} from './lazy.js'

/**
 * Questions for a person at a terminal. `@inquirer/prompts` is loaded only when a question is actually
 * asked, so it stays off the start-up path. Prompts draw on stderr: stdout carries data only.
 */

/** A question can be asked only when someone can both see it (stderr) and answer it (stdin). */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

/** The user pressed Ctrl-C or Escape at a prompt: nothing was changed. Exit 130, wherever it is caught. */
export class PromptCancelled extends Error {
  /** `detail` says what became of the work so far ("nothing written; your text is kept in …"). */
  constructor(detail?: string) {
    super(detail === undefined ? 'cancelled' : `cancelled; ${detail}`)
    this.name = 'PromptCancelled'
  }
}

/** Where every prompt reads and draws. */
function context() {
  return {input: process.stdin, output: process.stderr, clearPromptOnDone: false}
}

type Prompts = typeof import('@inquirer/prompts')

async function prompts(): Promise<Prompts> {
  return loadLazily<Prompts>('@inquirer/prompts')
}

/** Runs one prompt, turning inquirer's "the user quit" error into PromptCancelled. */
async function ask<T>(question: (library: Prompts) => Promise<T>): Promise<T> {
  const library = await prompts()
  try {
    return await question(library)
  } catch (error) {
    if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') throw new PromptCancelled()
    throw error
  }
}

export async function confirm(message: string, defaultAnswer = false): Promise<boolean> {
  return ask((library) => library.confirm({message, default: defaultAnswer}, context()))
}

/** A line of text; `prefilled` is already typed, for the user to edit. */
export async function input(message: string, prefilled = ''): Promise<string> {
  return ask((library) => library.input({message, default: prefilled, prefill: 'editable'}, context()))
}

export interface Choice<T> {
  name: string
  value: T
}

export async function select<T>(message: string, choices: Choice<T>[]): Promise<T> {
  return ask((library) => library.select<T>({message, choices}, context()))
}

/**
 * A checkbox list: space toggles one, `a` toggles all, `i` inverts, Enter submits. Once submitted, `summary`
 * says what was chosen on the answer's line (inquirer would repeat every chosen row, padding and all).
 */
export async function checkbox<T>(message: string, choices: Choice<T>[], summary: (chosen: T[]) => string, pageSize = 15): Promise<T[]> {
  const theme = {style: {renderSelectedChoices: (selected: readonly {value: T}[]) => summary(selected.map((choice) => choice.value))}}
  return ask((library) => library.checkbox<T>({message, choices, pageSize, loop: false, theme}, context()))
}

/**
 * Refuses a destructive command that would have to ask, when nobody can answer. `how` tells the user the
 * non-interactive way to do it.
 */
export function requireTerminalOr(how: string): void {
  if (!canPrompt()) throw new KvError('USAGE', `no terminal to ask for confirmation: ${how}`)
}

/**
 * Runs an interactive part of a command; a cancelled prompt ends it with a one-line note and exit 130
 * instead of an error report. Returns false when it was cancelled. What was done before the cancelled
 * question stays done; nothing after it happens.
 */
export async function handlingCancel(body: () => Promise<void>): Promise<boolean> {
  try {
    await body()
    return true
  } catch (error) {
    if (!(error instanceof PromptCancelled)) throw error
    process.stderr.write(`kv: ${error.message}\n`)
    process.exitCode = EXIT.cancelled
    return false
  }
}
