import {readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {expect} from 'vitest'

import {childEnv, collect, KV_BIN, type KvResult} from '../helpers.js'

/**
 * The error contract of every failing command: the documented exit code, nothing on stdout, and exactly
 * one line on stderr (no stack trace). With `json`, that line is {"error": {"code", "message"}}.
 * Returns the stderr line without its newline.
 */
export function expectFailure(result: KvResult, exitCode: number, options: {json?: boolean; code?: string} = {}): string {
  expect({code: result.code, signal: result.signal, stdout: result.text}, result.stderr).toEqual({code: exitCode, signal: null, stdout: ''})
  expect(result.stdout.length).toBe(0)
  expect(result.stderr).toMatch(/^[^\n]+\n$/)
  expect(result.stderr).not.toMatch(/^\s*at /m)
  const line = result.stderr.slice(0, -1)
  if (options.json) {
    const parsed = JSON.parse(line) as {error: {code: string; message: string}}
    expect(Object.keys(parsed)).toEqual(['error'])
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message'])
    expect(typeof parsed.error.message).toBe('string')
    expect(parsed.error.message.length).toBeGreaterThan(0)
    if (options.code) expect(parsed.error.code).toBe(options.code)
  }
  return line
}

/** A successful command that prints nothing at all. */
export function expectQuietSuccess(result: KvResult): void {
  expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({code: 0, stdout: '', stderr: ''})
}

/** A successful command whose stdout is exactly `stdout` (a string is compared as UTF-8 bytes). */
export function expectOutput(result: KvResult, stdout: string | Uint8Array): void {
  expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
  const expected = typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : Buffer.from(stdout)
  if (expected.length < 4096) expect(result.text).toBe(expected.toString('utf8'))
  expect(result.stdout.length).toBe(expected.length)
  expect(result.stdout.equals(expected)).toBe(true)
}

/** Every path under `dir` (relative, sorted), directories marked with a trailing slash. */
export function tree(dir: string): string[] {
  const out: string[] = []
  const walk = (current: string) => {
    let entries
    try {
      entries = readdirSync(current, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) {
        out.push(`${relative(dir, path)}/`)
        walk(path)
      } else out.push(relative(dir, path))
    }
  }
  walk(dir)
  return out.sort()
}

/** Mode bits (permissions only) of `path`. */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o777
}

/** Runs a shell script in which `kv` is a function running the built CLI (`node bin/run.js`). */
export function sh(script: string, env: Record<string, string>): Promise<KvResult> {
  const shellEnv = childEnv({...env, KV_TEST_NODE: process.execPath, KV_TEST_BIN: KV_BIN})
  return collect('sh', ['-c', `kv() { "$KV_TEST_NODE" "$KV_TEST_BIN" "$@"; }\n${script}`], shellEnv)
}
