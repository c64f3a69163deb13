// Bulk import into Redis: `kv import` of 200,000 NDJSON records (40-byte values) with `--store` pointing at
// a private redis-server (127.0.0.1 TCP, persistence off), against `redis-cli --pipe` SETting the same
// records (RESP generated in the same run) on the same server over the same transport. The server is
// flushed before each run. Median of RUNS runs each, interleaved. Goal: kv within 4× of redis-cli --pipe.
import {spawnSync} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {atMost, fmtCount, KV_BIN, kvEnv, median, withWorkDir, writeImportInputs} from '../lib.js'
import {notMeasured, redisInstalled, startRedis} from '../lib/redis.js'

const RECORDS = 200_000
const VALUE_BYTES = 40
const RUNS = 3
const GOAL = 4

const fmtWholeMs = (ms) => `${Math.round(ms)} ms`


/** Wall time of one process run, with `stdinFile` (if any) as its stdin; returns it and the stdout. */
function timed(command, args, {env = process.env, stdinFile} = {}) {
  const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r')
  try {
    const start = performance.now()
    const result = spawnSync(command, args, {env, stdio: [stdin, 'pipe', 'pipe'], encoding: 'utf8'})
    const elapsed = performance.now() - start
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
    return {elapsed, stdout: result.stdout}
  } finally {
    if (stdin !== 'ignore') closeSync(stdin)
  }
}

export async function measure() {
  const target = `import ${fmtCount(RECORDS)} records (${VALUE_BYTES}-byte values) into Redis`
  if (!redisInstalled()) return [notMeasured(target, `≤ ${GOAL}× redis-cli --pipe`)]
  const server = await startRedis()
  try {
    return await withWorkDir(async (dir) => {
      const files = writeImportInputs(dir, RECORDS, VALUE_BYTES)
      const env = kvEnv(dir)
      const times = {kv: [], redis: []}
      for (let run = 0; run < RUNS; run++) {
        server.cli('FLUSHALL')
        const kv = timed(process.execPath, [KV_BIN, 'import', files.ndjson, '--store', server.url, '--json'], {env})
        if (JSON.parse(kv.stdout).imported !== RECORDS) throw new Error(`kv import: ${kv.stdout}`)
        times.kv.push(kv.elapsed)
        server.cli('FLUSHALL')
        const redis = timed('redis-cli', ['-h', server.host, '-p', String(server.port), '--pipe'], {stdinFile: files.resp})
        if (!redis.stdout.includes(`errors: 0, replies: ${RECORDS}`)) throw new Error(`redis-cli --pipe: ${redis.stdout}`)
        times.redis.push(redis.elapsed)
      }
      const row = atMost(target, median(times.kv), median(times.redis), 'redis-cli --pipe SET, same server', GOAL, fmtWholeMs)
      return [{...row, goal: `≤ ${GOAL}× redis-cli --pipe`}]
    })
  } finally {
    await server.stop()
  }
}
