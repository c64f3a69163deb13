// Start-up on Redis: one `kv get KEY --store URL` process against a plain Node script that loads ioredis,
// connects and GETs (../ioredis-get.cjs), both reading the same value from the same private redis-server
// (127.0.0.1 TCP), RUNS starts each, interleaved. Goal: kv within 1.3× of the script, compared fastest with
// fastest (machine noise only ever adds), the medians beside them.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {openNamespace} from '../../../dist/index.js'
import {atMost, fmtMs, KV_BIN, kvEnv, median, RUNS, withWorkDir} from '../lib.js'
import {notMeasured, redisInstalled, startRedis} from '../lib/redis.js'

const GOAL = 1.3
const REFERENCE = join(import.meta.dirname, '..', 'ioredis-get.cjs')
const KEY = 'bench:key'
const VALUE = 'value'

function timedRun(args, env) {
  const start = performance.now()
  const run = spawnSync(process.execPath, args, {env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'})
  const ms = performance.now() - start
  if (run.status !== 0 || run.stdout.trim() !== VALUE) throw new Error(`node ${args.join(' ')} failed (${run.status}): ${run.stdout}${run.stderr}`)
  return ms
}

export async function measure() {
  const target = 'kv get on Redis: one process, wall time'
  if (!redisInstalled()) return [notMeasured(target, `≤ ${GOAL}×`)]
  const server = await startRedis()
  try {
    return await withWorkDir(async (dir) => {
      const env = kvEnv(dir)
      const namespace = await openNamespace('default', {store: server.url, create: true})
      await namespace.put(KEY, VALUE)
      await namespace.close()
      // The script reads a plain string key of the same value (kv's is a record under its namespace's tag).
      server.cli('SET', `kv-ref:${KEY}`, VALUE)
      const times = {kv: [], script: []}
      for (let run = 0; run < RUNS; run++) {
        times.script.push(timedRun([REFERENCE, server.url, `kv-ref:${KEY}`], env))
        times.kv.push(timedRun([KV_BIN, 'get', KEY, '--store', server.url], env))
      }
      const reference = 'node script: ioredis connect + GET'
      return [
        atMost(`${target} (fastest of ${RUNS})`, Math.min(...times.kv), Math.min(...times.script), reference, GOAL, fmtMs),
        atMost(`${target} (median)`, median(times.kv), median(times.script), reference, GOAL, fmtMs),
      ]
    })
  } finally {
    await server.stop()
  }
}
