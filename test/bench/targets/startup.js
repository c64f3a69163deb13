// Start-up: one `kv get`, `kv put`, `kv list` process against `node -e 0`, and `kv get`'s peak memory.
import {execFileSync} from 'node:child_process'

import {atMost, fmtMiB, fmtMs, KV_BIN, kvEnv, measureProcesses, RUNS, withWorkDir} from '../lib.js'

export async function measure() {
  return withWorkDir(async (dir) => {
    const env = kvEnv(dir)
    execFileSync(process.execPath, [KV_BIN, 'put', 'bench:key', 'value'], {env})
    const [node, get, put, list] = measureProcesses(
      [['-e', '0'], [KV_BIN, 'get', 'bench:key'], [KV_BIN, 'put', 'bench:key', 'value'], [KV_BIN, 'list', '--prefix', 'bench:']],
      env,
    )
    return [
      atMost('kv get: one process, wall time', get.ms, node.ms, 'node -e 0', 1.5, fmtMs),
      atMost('kv put: one process, wall time', put.ms, node.ms, 'node -e 0', 1.7, fmtMs),
      atMost('kv list: one process, wall time', list.ms, node.ms, 'node -e 0', 1.7, fmtMs),
      atMost('kv get: peak RSS', get.rss, node.rss, 'node -e 0', 1.3, fmtMiB),
    ]
  })
}
