import {createRequire} from 'node:module'

/** How a process started: what test/cli/fast-path.test.ts checks, and a first look for anyone profiling start-up. */
export interface StartupTrace {
  /** `fast`: the command ran on the fast path (./fast-path.ts); `oclif`: oclif ran everything. */
  path: 'fast' | 'oclif'
  /** Deferred modules of the bundle that were evaluated (scripts/build.mjs, DEFERRED), in order. */
  deferred: string[]
  /** Files loaded with Node's require (outside the bundle): lazily loaded packages, native addons. */
  required: string[]
  /** Node's built-in modules that were loaded (not their internals). */
  builtins: string[]
}

/** With KV_STARTUP_TRACE set, writes the trace to stderr as one line, `kv startup: {…}`, as the process ends. */
export function writeStartupTrace(path: StartupTrace['path'], deferred: readonly string[]): void {
  if (!process.env.KV_STARTUP_TRACE) return
  const loaded = (process as unknown as {moduleLoadList: string[]}).moduleLoadList
  const trace: StartupTrace = {
    path,
    deferred: [...deferred],
    required: Object.keys(createRequire(import.meta.url).cache),
    builtins: loaded.filter((name) => name.startsWith('NativeModule ') && !name.includes('internal/')).map((name) => name.slice('NativeModule '.length)),
  }
  process.stderr.write(`kv startup: ${JSON.stringify(trace)}\n`)
}
