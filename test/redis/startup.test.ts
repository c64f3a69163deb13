import {describe, expect, inject, it} from 'vitest'

import type {StartupTrace} from '../../src/cli/startup-trace.js'
import {runKv, tempDir} from '../helpers.js'

/**
 * Each store's client loads only when that store is used: a command on Redis never loads lmdb-js (its
 * native addon), as test/cli/fast-path.test.ts checks that a local one never loads the Redis client.
 */
describe('what a command on Redis loads', () => {
  it('loads the Redis client (tls, dns) and not lmdb-js, on the fast path and through oclif', async () => {
    const store = `${inject('redis').url}?prefix=startup-${process.pid}:`
    for (const args of [['put', 'k', 'v'], ['get', 'k'], ['ns', 'list']]) {
      const result = await runKv(args, {dataDir: tempDir(), configDir: tempDir(), env: {KV_STORE: store, KV_STARTUP_TRACE: '1'}})
      expect(result.code, result.stderr).toBe(0)
      const line = result.stderr.split('\n').find((text) => text.startsWith('kv startup: '))
      expect(line, result.stderr).toBeDefined()
      const trace = JSON.parse(line!.slice('kv startup: '.length)) as StartupTrace
      expect(trace.required.filter((file) => /lmdb|msgpackr|\.node$/.test(file)), args.join(' ')).toEqual([])
      expect(trace.builtins, args.join(' ')).toEqual(expect.arrayContaining(['net', 'dns']))
    }
  })
})
