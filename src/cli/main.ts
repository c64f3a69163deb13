import {mayNeedRewrite, rewriteHabits} from './argv-habits.js'
import {reportFailure} from './failure.js'
import type {CommandTable} from './fast-path.js'
import {writeStartupTrace} from './startup-trace.js'

/** What the bundle (scripts/build.mjs) gives main. */
export interface Bundle {
  /** oclif's "explicit" command table; a command's module is evaluated when its entry is first read. */
  commands: CommandTable
  /** The bundle's deferred modules evaluated so far (for KV_STARTUP_TRACE). */
  deferredModules: readonly string[]
}

/**
 * Commands that scripts run in loops, started on the fast path (./fast-path.ts) when argv asks for nothing else:
 * their class runs without oclif's Config.load. A command listed here uses nothing of oclif's Config beyond
 * what `startupConfig` provides; test/cli/fast-path.test.ts checks each one stays on the fast path.
 */
const FAST_PATH_COMMANDS: ReadonlySet<string> = new Set(['get', 'put', 'list', 'incr', 'delete'])

/**
 * The CLI: runs the command named in argv; bin/run.js loads this from the bundle and passes the package root
 * (where package.json is) and the bundle's command table.
 * oclif, and only the modules that command needs, are evaluated once it is known which.
 */
export async function main(typed: string[], root: string, {commands, deferredModules}: Bundle): Promise<void> {
  let fast = false
  let argv = typed
  try {
    if (mayNeedRewrite(argv)) argv = rewriteHabits(argv, Object.keys(commands), (await import('./flags.js')).GLOBAL_FLAG_SPELLINGS)
    // The set is checked first so that another command does not even evaluate the fast path's module.
    const start = FAST_PATH_COMMANDS.has(argv[0]) ? (await import('./fast-path.js')).fastStart(argv, root, commands, FAST_PATH_COMMANDS) : undefined
    fast = start !== undefined
    if (start) {
      await start()
    } else {
      const {flush, run} = await import('@oclif/core')
      // kv has no user plugins. oclif would otherwise load any listed in $KV_DATA_DIR/package.json, since it
      // reads KV_DATA_DIR as its own data directory: a data directory must never run code.
      await run(argv, {root, userPlugins: false})
      await flush()
    }
  } catch (error) {
    // Commands report their own errors; what arrives here is oclif's (unknown command, and the like).
    const {unknownCommand} = await import('./unknown-command.js')
    reportFailure(unknownCommand(error, argv, BIN, Object.keys(commands)) ?? error, {json: asksForJson(argv)})
  }
  writeStartupTrace(fast ? 'fast' : 'oclif', deferredModules)
  await exitLeavingNamespacesOpen()
}

/** How users call kv, in messages (package.json's oclif.bin). */
const BIN = 'kv'

/** Whether the command line asks for JSON errors: --json before any "--". */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/**
 * Ends the process without closing the namespaces it opened. LMDB's close, in the last process that has an
 * environment open, destroys the lock file's mutexes; a process opening it at that very moment goes on with
 * the destroyed ones, and every transaction it starts fails ("Invalid argument: No transaction to renew")
 * until all its users are gone. Racing `kv` commands hit that. At process exit the kernel drops LMDB's locks
 * and leaves the mutexes alone, and LMDB is made for processes that end without closing. (lmdb-js closes
 * open environments on a natural exit, not on process.exit.)
 */
async function exitLeavingNamespacesOpen(): Promise<void> {
  // process.exit does not wait for output still queued (pipes are asynchronous on macOS).
  for (const stream of [process.stdout, process.stderr]) {
    await new Promise<void>((resolve) => stream.write('', () => resolve()))
  }
  process.exit()
}
