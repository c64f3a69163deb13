// A long argument list: one `kv delete` process given 20,000 keys on argv against one given a single key
// (both delete keys that exist). oclif's parser alone is quadratic in the words it parses (src/cli/argv.ts).
import {spawnSync} from 'node:child_process'
import {performance} from 'node:perf_hooks'

import {openNamespace} from '../../../dist/index.js'
import {atMost, fmtCount, fmtMs, KV_BIN, kvEnv, median, RUNS, withWorkDir} from '../lib.js'

const KEYS = 20_000
const GOAL = 3

async function seed(env, keys) {
  const namespace = await openNamespace('default', {dataDir: env.KV_DATA_DIR, create: true})
  await namespace.batch((batch) => {
    for (const key of keys) batch.put(key, 'value')
  })
  await namespace.close()
}

function timedDelete(env, keys) {
  const start = performance.now()
  const run = spawnSync(process.execPath, [KV_BIN, 'delete', ...keys, '--json'], {env, stdio: ['ignore', 'pipe', 'pipe']})
  const ms = performance.now() - start
  if (run.status !== 0 || JSON.parse(run.stdout).deleted !== keys.length) throw new Error(`kv delete failed: ${run.stdout}${run.stderr}`)
  return ms
}

export async function measure() {
  return withWorkDir(async (dir) => {
    const env = kvEnv(dir)
    const many = Array.from({length: KEYS}, (_, i) => `bench:key:${String(i).padStart(6, '0')}`)
    const one = ['bench:one']
    const times = {many: [], one: []}
    // Interleaved, so both see the same machine; each run deletes keys that were just written.
    for (let run = 0; run < RUNS; run++) {
      await seed(env, one)
      times.one.push(timedDelete(env, one))
      await seed(env, many)
      times.many.push(timedDelete(env, many))
    }
    const target = `kv delete ${fmtCount(KEYS)} keys on argv: one process, wall time`
    return [
      atMost(`${target} (fastest of ${RUNS})`, Math.min(...times.many), Math.min(...times.one), 'kv delete of one key', GOAL, fmtMs),
      atMost(`${target} (median)`, median(times.many), median(times.one), 'kv delete of one key', GOAL, fmtMs),
    ]
  })
}
