import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach} from 'vitest'

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
  dataDir?: string
  configDir?: string
}

/** The environment a kv child process sees: ours, less kv's own variables, plus `overrides`. */
export function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const name of ['KV_NAMESPACE', 'KV_DATA_DIR', 'KV_DEBUG', 'NODE_ENV']) delete env[name]
  Object.assign(env, overrides)
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name]
  return env
}

/** Runs a program to its end, feeding it `input` (or an empty stdin) and collecting what it prints. */
export function collect(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Uint8Array): Promise<KvResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {env, stdio: ['pipe', 'pipe', 'pipe']})
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

/** A CLI environment of its own: a private data dir and config dir, and a `kv` bound to them. */
export function kvSandbox() {
  const dataDir = tempDir('kv-data-')
  const configDir = tempDir('kv-config-')
  const kv = (args: string[], options: Omit<RunOptions, 'dataDir' | 'configDir'> = {}) =>
    runKv(args, {...options, dataDir, configDir})
  return {dataDir, configDir, kv}
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
