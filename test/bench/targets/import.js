// Bulk import speed: `kv import` of 200,000 NDJSON records with 40-byte values, against `redis-cli --pipe`
// SETting the same records (RESP generated in the same run) on a private redis-server (unix socket,
// persistence off) that this module starts and stops. Goal: kv within 3× of redis-cli --pipe.
// Each figure is the median of 3 runs, kv and redis interleaved so both see the same machine.
// A second row imports BENCH_IMPORT_LARGE (1,000,000) records in shuffled key order, in one transaction,
// and reports its peak memory: it must not grow with the input (goal: anonymous RSS < 200 MiB).
// Node built-ins and ../lib/peak-memory.js; `measure()` returns rows for the bench table.
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'

import {writeImportInputs} from '../lib.js'
import {describeMemory, runMeasured} from '../lib/peak-memory.js'

const root = resolve(import.meta.dirname, '..', '..', '..')
const kvBin = join(root, 'bin', 'run.js')
const RECORDS = 200_000
const VALUE_BYTES = 40
const RUNS = 3
const GOAL = 3
const LARGE = Number(process.env.BENCH_IMPORT_LARGE ?? 1_000_000)
const LARGE_GOAL_MIB = 200

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const ms = (value) => `${Math.round(value)} ms`

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'}).status === 0
}


async function startRedis(dir) {
  const socket = join(dir, 'redis.sock')
  const server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], {stdio: 'ignore'})
  for (let i = 0; i < 100; i++) {
    if (existsSync(socket) && spawnSync('redis-cli', ['-s', socket, 'ping'], {encoding: 'utf8'}).stdout.trim() === 'PONG') return {server, socket}
    await new Promise((r) => setTimeout(r, 50))
  }
  server.kill()
  throw new Error('redis-server did not start')
}

/** Wall time of one process run, with `stdinFile` (if any) as its stdin. */
function timed(command, args, {env = process.env, stdinFile} = {}) {
  const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r')
  try {
    const start = performance.now()
    const result = spawnSync(command, args, {env, stdio: [stdin, 'pipe', 'pipe']})
    const elapsed = performance.now() - start
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
    return {elapsed, stdout: String(result.stdout)}
  } finally {
    if (stdin !== 'ignore') closeSync(stdin)
  }
}

/** Imports LARGE records with keys in shuffled order (no appends: the worst case) and reports peak memory. */
async function largeImport(dir) {
  const file = join(dir, 'large.ndjson')
  const out = openSync(file, 'w')
  try {
    for (let start = 0; start < LARGE; start += 100_000) {
      let chunk = ''
      for (let i = start; i < Math.min(start + 100_000, LARGE); i++) {
        chunk += `{"key":"large:${String((i * 7919) % LARGE).padStart(8, '0')}","value":"${`value-${i}-`.padEnd(VALUE_BYTES, 'x')}"}\n`
      }
      writeSync(out, chunk)
    }
  } finally {
    closeSync(out)
  }
  const env = {...process.env, KV_DATA_DIR: join(dir, 'data-large'), XDG_CONFIG_HOME: join(dir, 'config')}
  const run = await runMeasured(process.execPath, [kvBin, 'import', file], {env})
  const anonMiB = run.peakAnonKiB === null ? null : run.peakAnonKiB / 1024
  return {
    target: `import ${LARGE.toLocaleString('en-US')} records (shuffled keys): peak memory`,
    kv: describeMemory(run),
    reference: `${(run.elapsedMs / 1000).toFixed(1)} s; input ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB (RSS via ${run.rssSource})`,
    ratio: null,
    goal: `anonymous RSS < ${LARGE_GOAL_MIB} MiB`,
    met: anonMiB === null ? null : anonMiB < LARGE_GOAL_MIB,
  }
}

export async function measure() {
  const rows = []
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-import-'))
  try {
    rows.push(...(await versusRedis(dir)))
    rows.push(await largeImport(dir))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return rows
}

async function versusRedis(dir) {
  const target = `import ${RECORDS.toLocaleString('en-US')} records (${VALUE_BYTES}-byte values)`
  const goal = `≤ ${GOAL}× redis-cli --pipe`
  if (!commandExists('redis-server') || !commandExists('redis-cli')) {
    return [{target, kv: 'not measured', reference: 'redis-server not installed (apt-get install redis-server)', ratio: null, goal, met: null}]
  }
  const {server, socket} = await startRedis(dir)
  try {
    const files = writeImportInputs(dir, RECORDS, VALUE_BYTES)
    const kvTimes = []
    const redisTimes = []
    for (let run = 0; run < RUNS; run++) {
      const env = {...process.env, KV_DATA_DIR: join(dir, `data-${run}`), XDG_CONFIG_HOME: join(dir, 'config')}
      kvTimes.push(timed(process.execPath, [kvBin, 'import', files.ndjson, '--json'], {env}).elapsed)
      spawnSync('redis-cli', ['-s', socket, 'flushall'], {stdio: 'ignore'})
      const {elapsed, stdout} = timed('redis-cli', ['-s', socket, '--pipe'], {stdinFile: files.resp})
      if (!stdout.includes(`errors: 0, replies: ${RECORDS}`)) throw new Error(`redis-cli --pipe: ${stdout}`)
      redisTimes.push(elapsed)
      rmSync(env.KV_DATA_DIR, {recursive: true, force: true})
    }
    const kv = median(kvTimes)
    const redis = median(redisTimes)
    const ratio = kv / redis
    return [{target, kv: ms(kv), reference: `${ms(redis)} (redis-cli --pipe)`, ratio: Number(ratio.toFixed(2)), goal, met: ratio <= GOAL}]
  } finally {
    server.kill()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await measure())
