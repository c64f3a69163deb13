import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach} from 'vitest'

import type {LocationOptions} from '../src/index.js'
import {freshLocation} from './store-under-test.js'

export const KV_BIN = resolve(import.meta.dirname, '..', 'bin', 'run.js')

const created: string[] = []

/** A fresh directory, removed after the current test. */
export function tempDir(prefix = 'kv-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, {recursive: true, force: true})
})

export interface KvResult {
  code: number | null
  signal: NodeJS.Signals | null
  /** stdout's exact bytes */
  stdout: Buffer
  stderr: string
  /** stdout as UTF-8 text */
  text: string
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed. Without it stdin is empty (as in CI). */
  input?: string | Uint8Array
  env?: Record<string, string | undefined>
  /** KV_DATA_DIR (tests of a sandbox give its `env` instead) */
  dataDir?: string
  /** XDG_CONFIG_HOME */
  configDir?: string
}

/**
 * The environment a kv child process sees: ours, less kv's own variables (a developer's KV_STORE must not
 * send the tests to their server), plus `overrides`.
 */
export function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const name of ['KV_NAMESPACE', 'KV_DATA_DIR', 'KV_STORE', 'KV_DEBUG', 'NODE_ENV']) delete env[name]
  Object.assign(env, overrides)
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name]
  return env
}

/** Runs a program to its end, feeding it `input` (or an empty stdin) and collecting what it prints. */
export function collect(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Uint8Array, cwd?: string): Promise<KvResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {env, cwd, stdio: ['pipe', 'pipe', 'pipe']})
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const out = Buffer.concat(stdout)
      resolvePromise({code, signal, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), text: out.toString('utf8')})
    })
    // The child may exit before reading stdin (e.g. a usage error): that is not the test's failure.
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
  })
}

/** Runs the built CLI as a real process, the way a user or a script does. */
export function runKv(args: string[], options: RunOptions = {}): Promise<KvResult> {
  const env = childEnv({KV_DATA_DIR: options.dataDir, XDG_CONFIG_HOME: options.configDir, ...options.env})
  return collect(process.execPath, [KV_BIN, ...args], env, options.input)
}

/** What points a kv process at a sandbox: its data dir, its settings, and its Redis store when it has one. */
export interface SandboxEnv extends Record<string, string> {
  KV_DATA_DIR: string
  XDG_CONFIG_HOME: string
}

/**
 * A CLI environment of its own on the store under test (store-under-test.ts): a fresh place for namespaces
 * (a temporary data dir, or a key prefix of its own on the run's Redis server) and a private config dir.
 * - `kv(args)` runs the built CLI there;
 * - `env` is that environment for other ways of starting kv (a shell, a terminal): KV_DATA_DIR,
 *   XDG_CONFIG_HOME and, on Redis, KV_STORE;
 * - `location` opens the same namespaces in-process: `openNamespace(name, {...location, ...})`;
 * - `dataDir` is the data dir itself, for the tests about local files only (it stays empty on Redis).
 * With `local`, the place is a data dir whatever the store under test: for the tests about local files.
 */
export function kvSandbox({local = false}: {local?: boolean} = {}) {
  const location: LocationOptions & {dataDir: string} = local ? {dataDir: tempDir('kv-data-')} : freshLocation()
  const configDir = tempDir('kv-config-')
  const env: SandboxEnv = {KV_DATA_DIR: location.dataDir, XDG_CONFIG_HOME: configDir}
  if (typeof location.store === 'string') env.KV_STORE = location.store
  const kv = (args: string[], options: Omit<RunOptions, 'dataDir' | 'configDir'> = {}) =>
    runKv(args, {...options, env: {...env, ...options.env}})
  return {env, location, dataDir: location.dataDir, configDir, kv}
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start
  const clock = () => now
  clock.advance = (ms: number) => {
    now += ms
  }
  clock.set = (ms: number) => {
    now = ms
  }
  return clock
}

/** Everything an async iterable yields, in order (Array.fromAsync needs Node 22). */
export async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}
