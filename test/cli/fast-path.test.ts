import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {startupConfig, type CommandTable} from '../../src/cli/fast-path.js'
import type {StartupTrace} from '../../src/cli/startup-trace.js'
import {kvSandbox, type KvResult} from '../helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')
const TRACE = 'kv startup: '

/** The KV_STARTUP_TRACE line a kv process wrote as it ended, and its stderr without it. */
function traceOf(result: KvResult): {trace: StartupTrace; stderr: string} {
  const lines = result.stderr.split('\n')
  const index = lines.findIndex((line) => line.startsWith(TRACE))
  expect(index, `no startup trace in: ${result.stderr}`).toBeGreaterThanOrEqual(0)
  const trace = JSON.parse(lines[index].slice(TRACE.length)) as StartupTrace
  lines.splice(index, 1)
  return {trace, stderr: lines.join('\n')}
}

/**
 * What the start of a command scripts run in loops must not evaluate or load, seen four ways: oclif's Config
 * loading, help, ux and error printing (the bundle's deferred modules); oclif's index (its Node version check
 * requires package.json); prompts, tables, progress bars, conf and a Redis client (packages loaded with require);
 * and the built-ins only those use, which shows them bundled or not (readline: prompts and oclif's stdin reading;
 * perf_hooks: oclif's marks; fs/promises: Config and plugin loading; tty: the debug package, colour detection;
 * tls and crypto: a Redis client; child_process: node-gyp-build looking for lmdb-js's addon, which the build found).
 */
/** Files of the packages only the ecosystem adapters (src/adapters/) use. */
const ADAPTER_PACKAGES = /[\\/]node_modules[\\/](keyv|@keyv|express|express-session|@cloudflare)[\\/]/

function expectLean(trace: StartupTrace, what: string): void {
  expect(trace.path, what).toBe('fast')
  expect(trace.deferred, what).toEqual([])
  expect(trace.required, what).not.toContain(join(ROOT, 'package.json'))
  const packages = trace.required.filter((file) => /[\\/]node_modules[\\/](@inquirer|cli-table3|cli-progress|conf|ioredis|@oclif)[\\/]/.test(file))
  expect(packages, what).toEqual([])
  for (const builtin of ['readline', 'perf_hooks', 'fs/promises', 'tty', 'tls', 'crypto', 'child_process']) expect(trace.builtins, what).not.toContain(builtin)
}

describe('the fast path (src/cli/fast-path.ts)', () => {
  it('starts get, put, list, incr and delete without oclif Config, help, ux, prompts, tables or Redis', async () => {
    const {kv} = kvSandbox()
    // Local LMDB files, whatever store the suite runs on (KV_STORE, where kv has one): their start is the floor.
    const env = {KV_STARTUP_TRACE: '1', KV_STORE: 'local'}
    const runs: [string[], number][] = [
      [['put', 'k', 'v', '--expires-in', '1h'], 0],
      [['put', 'piped'], 0],
      [['get', 'k'], 0],
      [['get', 'k', '--json'], 0],
      [['list', '--prefix', 'k', '--limit', '5'], 0],
      [['list', '--json'], 0],
      [['incr', 'n', '--by', '-5'], 0],
      [['incr', 'n', '--json'], 0],
      [['delete', 'k', 'gone'], 0],
      [['delete', '--prefix', 'p', '--yes', '--json'], 0],
      [['get', 'gone'], 1],
      // Global flags before the command (src/cli/argv-habits.ts) start on the fast path too.
      [['-n', 'default', 'get', 'k'], 1],
      [['--store', 'local', '--json', 'list'], 0],
    ]
    for (const [args, code] of runs) {
      const result = await kv(args, {env, input: 'from stdin'})
      const {trace, stderr} = traceOf(result)
      expect(result.code, `kv ${args.join(' ')}: ${stderr}`).toBe(code)
      expectLean(trace, `kv ${args.join(' ')}`)
    }
  })

  it('reports usage errors itself, evaluating oclif error classes only then', async () => {
    const {kv} = kvSandbox()
    const result = await kv(['get', 'k', '--bogus'], {env: {KV_STARTUP_TRACE: '1'}})
    const {trace, stderr} = traceOf(result)
    expect(result.code).toBe(2)
    expect(stderr).toBe('kv: unknown flag --bogus; see kv get --help\n')
    expect(trace.path).toBe('fast')
    expect(trace.deferred).toContain('@oclif/core/lib/parser/errors.js')
    expect(trace.deferred).not.toContain('@oclif/core/lib/config/index.js')
  })

  it('leaves help, version, topics, other commands, unknown commands and debugging to oclif', async () => {
    const {kv} = kvSandbox()
    const env = {KV_STARTUP_TRACE: '1'}
    const cases = [['get', '--help'], ['get', '-h'], ['list', 'a', '--help'], ['--version'], ['ns'], ['ns', 'list'], ['help', 'get'], ['gett', 'k'], ['-n', 'x', 'gett'], []]
    for (const args of cases) {
      const {trace} = traceOf(await kv(args, {env}))
      expect(trace.path, `kv ${args.join(' ')}`).toBe('oclif')
      // The guard above can fail: oclif's own start evaluates and loads what the fast path must not.
      expect(trace.deferred, `kv ${args.join(' ')}`).toContain('@oclif/core/lib/config/index.js')
      expect(trace.required, `kv ${args.join(' ')}`).toContain(join(ROOT, 'package.json'))
      expect(trace.builtins, `kv ${args.join(' ')}`).toContain('perf_hooks')
    }
    const {trace} = traceOf(await kv(['get', 'k'], {env: {...env, KV_DEBUG: '1'}}))
    expect(trace.path).toBe('oclif')
  })

  it("loads none of the adapters' packages (keyv, express-session, express, Workers types): not in the bundle, not on either path", async () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'kv.cjs'), 'utf8')
    // The adapters' classes (the bundle keeps names), their packages' names and a string of each one's code
    // would be in the bundle had it taken them in.
    const traces = ['KeyvStore', 'KvSessionStore', 'WorkersBinding', '"keyv"', '"express-session"', '"express"', 'workers-types', 'Invalid storage adapter', 'connect.sid']
    for (const text of traces) expect(bundle).not.toContain(text)
    const {kv} = kvSandbox()
    const env = {KV_STARTUP_TRACE: '1', KV_STORE: 'local'}
    await kv(['put', 'k', 'v'], {env})
    for (const debug of [undefined, '1']) {
      const result = await kv(['get', 'k'], {env: {...env, KV_DEBUG: debug}})
      const {trace} = traceOf(result)
      expect(result.code).toBe(0)
      expect(trace.path).toBe(debug === undefined ? 'fast' : 'oclif')
      expect(trace.required.filter((file) => ADAPTER_PACKAGES.test(file))).toEqual([])
    }
  })

  it('gives commands a config that agrees with the one oclif loads', async () => {
    const loaded = await Config.load({root: ROOT, userPlugins: false})
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const commands = Object.fromEntries(loaded.commandIDs.map((id) => [id, {}])) as unknown as CommandTable
    const config = startupConfig(ROOT, pjson, commands)
    for (const key of ['root', 'name', 'version', 'bin', 'binAliases', 'topicSeparator', 'isSingleCommandCLI', 'flexibleTaxonomy'] as const) {
      expect(config[key], key).toEqual(loaded[key])
    }
    expect([...config.commandIDs].sort()).toEqual([...loaded.commandIDs].sort())
    for (const key of ['DEBUG', 'CONTENT_TYPE', 'REDIRECTED']) {
      expect(config.scopedEnvVarKey(key)).toBe(loaded.scopedEnvVarKey(key))
      expect(config.scopedEnvVarKeys(key)).toEqual(loaded.scopedEnvVarKeys(key))
    }
    // Config.load says "wsl" for the platform under WSL; the fast path does not ask (nothing in kv reads the agent).
    if (loaded.platform === process.platform) expect(config.userAgent).toBe(loaded.userAgent)
    expect(await config.runHook('preparse', {argv: [], options: {}})).toEqual(await loaded.runHook('preparse', {argv: [], options: {}}))
  })
})
