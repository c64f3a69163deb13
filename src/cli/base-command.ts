import {Command, type Interfaces} from '@oclif/core'

import {KvError} from '../engine/errors.js'
import type {Namespace} from '../engine/namespace.js'
import {splitPositionals} from './argv.js'
import {EXIT_CODES_HELP} from './exit-codes.js'
import {reportFailure} from './failure.js'
import {GLOBAL_FLAGS} from './flags.js'
import {openCommandNamespace} from './namespace.js'
import {writeJson} from './output.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof KvCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** A command's long help: what it does, then the exit codes every command shares. */
export function helpText(description: string): string {
  return `${description}\n\n${EXIT_CODES_HELP}`
}

/**
 * What every kv command shares: parsing once, the namespace flags, JSON output on stdout, and turning
 * any error into one line on stderr with a documented exit code (also under --json, where oclif would
 * otherwise print the error to stdout and exit 1).
 */
export abstract class KvCommand<T extends typeof Command> extends Command {
  static override baseFlags = GLOBAL_FLAGS

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  /** Positional words after the named arguments (only commands with `strict = false` get any). */
  protected rest!: string[]

  public override async init(): Promise<void> {
    // lmdb-js logs a failed commit with console.error (a stack trace) before kv reports it as one line.
    if (!process.env.KV_DEBUG) console.error = () => {}
    await super.init()
    // Any number of positional words (`kv delete KEY...`): oclif parses only the words that may be flags.
    const words = this.argv
    const split = splitPositionals(this.ctor, words)
    const {args, argv, flags} = await this.parse(undefined, split?.forParser)
    this.argv = words // oclif keeps the words it parsed; jsonEnabled() and the commands read them all
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    // oclif's argv holds every positional word, the named arguments' too.
    this.rest = split ? split.positionals(argv as string[]) : (argv as string[]).slice(Object.keys(this.ctor.args ?? {}).length)
    // Non-strict parsing lets a mistyped flag through as a key; only `--` makes a leading dash literal.
    const stray = this.rest.find((word) => word.startsWith('-'))
    if (stray !== undefined && !words.includes('--')) {
      throw new KvError('USAGE', `unknown flag ${stray} (for a key that starts with "-", put -- before it)`)
    }
  }

  /**
   * Runs `work` on the command's namespace, which stays open until the process exits (see `main`): by then
   * every write has committed and synced.
   */
  protected async withNamespace<R>(options: {creates: boolean}, work: (namespace: Namespace) => Promise<R>): Promise<R> {
    return work(await openCommandNamespace(this.flags, options))
  }

  public override logJson(json: unknown): void {
    writeJson(json)
  }

  protected override async catch(error: Error): Promise<void> {
    reportFailure(error, {json: this.jsonEnabled()})
  }
}
