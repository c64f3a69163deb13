import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Command, Config, Interfaces} from '@oclif/core'
import {normalizeArgv} from '@oclif/core/help'
import {setLogger} from '@oclif/core/logger'
import {helpAddition, versionAddition} from '@oclif/core/run'

/** oclif's "explicit" command table: id -> command class. */
export type CommandTable = Readonly<Record<string, Command.Class>>

/** The parts of package.json the fast path reads. */
interface PackageJson {
  name: string
  version: string
  engines?: {node?: string}
  oclif: {
    bin?: string
    binAliases?: string[]
    commands?: string | {strategy?: string}
    topicSeparator?: ':' | ' '
    flexibleTaxonomy?: boolean
    hooks?: Record<string, unknown>
    plugins?: string[]
    jitPlugins?: Record<string, string>
    exitCodes?: Record<string, number>
    additionalHelpFlags?: string[]
    additionalVersionFlags?: string[]
  }
}

/**
 * How to run the command argv names the way oclif's `run` would, without `Config.load` (the package, its plugins
 * and manifest, the theme, the platform) and without evaluating the rest of oclif: the same command class, parsed
 * by oclif's parser from its own static flags, args and baseFlags, its errors handled by the same `catch`.
 * oclif's own functions decide what argv asks for (normalizeArgv, helpAddition, versionAddition), given a config
 * with what they and `Command` read. Undefined, having run nothing, for anything else: another command, help,
 * version, a topic, a typo, debug output, a package.json that asks oclif for hooks or plugins, or a failure
 * while deciding. oclif then does it all, as it always did.
 */
export function fastStart(argv: string[], root: string, commands: CommandTable, fastCommands: ReadonlySet<string>): (() => Promise<unknown>) | undefined {
  try {
    return decide(argv, root, commands, fastCommands)
  } catch {
    return undefined
  }
}

function decide(argv: string[], root: string, commands: CommandTable, fastCommands: ReadonlySet<string>): (() => Promise<unknown>) | undefined {
  // oclif prints a warning for this as it loads (its index): leave it to oclif.
  if (!currentDirectoryExists()) return undefined
  // Config.load turns KV_DEBUG=1 into oclif's debug setting, and DEBUG makes oclif log what it loads.
  if (process.env.KV_DEBUG !== undefined || process.env.DEBUG !== undefined) return undefined
  const pjson = readPackageJson(root)
  if (pjson === undefined || !usesOnlyWhatTheFastPathDoes(pjson)) return undefined
  const config = startupConfig(root, pjson, commands)
  const [id, ...rest] = normalizeArgv(config, [...argv])
  if (id === undefined || !fastCommands.has(id) || !Object.hasOwn(commands, id)) return undefined
  if (versionAddition(argv, config) || helpAddition(argv, config)) return undefined
  // oclif's default logger writes through the debug package, which prints nothing without DEBUG (checked above):
  // one that does nothing spares loading it.
  setLogger({logger: SILENT_LOGGER} as Interfaces.LoadOptions)
  const command = commands[id]
  // What oclif's explicit command discovery does to a command class it hands out.
  command.id = id
  // What the static Command.run does once it has a Config.
  const instance = new (command as unknown as new (argv: string[], config: Config) => {_run(): Promise<unknown>})(rest, config)
  return () => instance._run()
}

const ignore = () => {}
const SILENT_LOGGER: Interfaces.Logger = {
  namespace: 'oclif',
  child: () => SILENT_LOGGER,
  debug: ignore,
  error: ignore,
  info: ignore,
  trace: ignore,
  warn: ignore,
}

function currentDirectoryExists(): boolean {
  try {
    process.cwd()
    return true
  } catch {
    return false
  }
}

/** The package.json oclif loads. */
function readPackageJson(root: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
  } catch {
    return undefined
  }
}

function usesOnlyWhatTheFastPathDoes({oclif, engines}: PackageJson): boolean {
  return (
    typeof oclif.commands === 'object' &&
    oclif.commands.strategy === 'explicit' &&
    Object.keys(oclif.hooks ?? {}).length === 0 &&
    (oclif.plugins ?? []).length === 0 &&
    Object.keys(oclif.jitPlugins ?? {}).length === 0 &&
    oclif.exitCodes === undefined &&
    !oclif.flexibleTaxonomy &&
    nodeSatisfies(engines?.node)
  )
}

/**
 * oclif warns when Node does not satisfy package.json's engines.node (with semver, as its index loads). The fast
 * path understands only ">=X.Y.Z" ranges (and no range): anything else, and any Node that is too old, goes to oclif.
 */
function nodeSatisfies(range: string | undefined): boolean {
  if (range === undefined) return true
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim())
  if (minimum === null) return false
  const running = process.versions.node.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const wanted = Number(minimum[i + 1] ?? 0)
    if (running[i] !== wanted) return running[i] > wanted
  }
  return true
}

/**
 * What oclif's Config holds that the fast path's callers read: normalizeArgv (topicSeparator, commandIDs,
 * findCommand), helpAddition and versionAddition (pjson, isSingleCommandCLI), and Command (bin, userAgent,
 * scopedEnvVar for --json, runHook for the preparse hook). Values are computed as Config.load computes them;
 * test/cli/fast-path.test.ts compares them with a loaded Config.
 */
export function startupConfig(root: string, pjson: PackageJson, commands: CommandTable): Config {
  const bin = pjson.oclif.bin || pjson.name
  const binAliases = pjson.oclif.binAliases
  const topicSeparator = pjson.oclif.topicSeparator && [' ', ':'].includes(pjson.oclif.topicSeparator) ? pjson.oclif.topicSeparator : ':'
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  const scopedEnvVarKeys = (key: string) =>
    [bin, ...(binAliases ?? [])].filter(Boolean).map((alias) => [alias.replaceAll('@', '').replaceAll(/[/-]/g, '_'), key].join('_').toUpperCase())
  const config = {
    root,
    pjson,
    name: pjson.name,
    version: pjson.version,
    bin,
    binAliases,
    topicSeparator,
    isSingleCommandCLI: false,
    flexibleTaxonomy: false,
    // Config.load asks is-wsl for the platform; the user agent only goes to a global nothing in kv reads.
    userAgent: `${pjson.name}/${pjson.version} ${process.platform}-${arch} node-${process.version}`,
    commandIDs: Object.keys(commands),
    findCommand: (id: string) => (Object.hasOwn(commands, id) ? commands[id] : undefined),
    scopedEnvVarKeys,
    scopedEnvVarKey: (key: string) =>
      [bin, key]
        .map((part) => part.replaceAll('@', '').replaceAll(/[/-]/g, '_'))
        .join('_')
        .toUpperCase(),
    scopedEnvVar: (key: string) => process.env[scopedEnvVarKeys(key).find((name) => process.env[name]) as string],
    scopedEnvVarTrue(key: string) {
      const value = this.scopedEnvVar(key)
      return value === '1' || value === 'true'
    },
    // No hooks (usesOnlyWhatTheFastPathDoes): what Config.runHook returns when there are none.
    runHook: async () => ({successes: [], failures: []}),
  }
  return config as unknown as Config
}
