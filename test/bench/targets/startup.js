// Start-up: one process of each command scripts run in loops, against `node -e 0`, and the floor for any
// LMDB-backed CLI in Node (a script that loads lmdb-js, opens an environment and reads one key). All are started
// interleaved, RUNS times each; the goal applies to fastest against fastest (start-up is a floor cost: machine
// noise only adds to it), with the medians' ratio beside it. Peak RSS is the median of separate starts.
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'

import {atMost, fmtMiB, KV_BIN, kvEnv, measureProcesses, startupRow, withWorkDir} from '../lib.js'

const FLOOR = join(import.meta.dirname, '..', 'lib', 'lmdb-floor.cjs')
const GOAL = 1.5
const MEMORY_GOAL = 1.3

export async function measure() {
  return withWorkDir(async (dir) => {
    const env = kvEnv(dir)
    const floorDir = join(dir, 'floor')
    execFileSync(process.execPath, [FLOOR, floorDir, '--init'])
    execFileSync(process.execPath, [KV_BIN, 'put', 'bench:key', 'value'], {env})
    const commands = {
      node: ['-e', '0'],
      floor: [FLOOR, floorDir],
      get: [KV_BIN, 'get', 'bench:key'],
      put: [KV_BIN, 'put', 'bench:key', 'value'],
      list: [KV_BIN, 'list', '--prefix', 'bench:'],
      incr: [KV_BIN, 'incr', 'bench:counter'],
      // A key that is not there: the command still opens the namespace and commits its transaction.
      delete: [KV_BIN, 'delete', 'bench:gone'],
    }
    const measured = measureProcesses(Object.values(commands), env)
    const by = Object.fromEntries(Object.keys(commands).map((name, i) => [name, measured[i]]))
    const {node, floor} = by
    return [
      startupRow('lmdb-js floor: load, open, read one key (reference)', floor, node, 'node -e 0'),
      ...['get', 'put', 'list', 'incr', 'delete'].map((name) => startupRow(`kv ${name}: one process, wall time`, by[name], node, 'node -e 0', GOAL)),
      {...atMost('lmdb-js floor: peak RSS (reference)', floor.rss, node.rss, 'node -e 0', MEMORY_GOAL, fmtMiB), goal: '', met: undefined},
      atMost('kv get: peak RSS', by.get.rss, node.rss, 'node -e 0', MEMORY_GOAL, fmtMiB),
      atMost('kv put: peak RSS', by.put.rss, node.rss, 'node -e 0', MEMORY_GOAL, fmtMiB),
    ]
  })
}
