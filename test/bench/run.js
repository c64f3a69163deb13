#!/usr/bin/env node
// kv benchmarks: `npm run bench` (builds first). Not part of `npm test`: timings are reported, never asserted.
// Figures are medians on this machine, each measured next to its reference in the same run.
//   BENCH_RUNS     process starts per command (default 30)
//   BENCH_KEYS     keys in the large namespace for the list and scale figures (default 1,000,000)
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {cpus, tmpdir, totalmem} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {open} from 'lmdb'

import {openNamespace} from '../../dist/index.js'

const root = resolve(import.meta.dirname, '..', '..')
const kvBin = join(root, 'bin', 'run.js')
const runs = Number(process.env.BENCH_RUNS ?? 30)
const largeKeyCount = Number(process.env.BENCH_KEYS ?? 1_000_000)
const work = mkdtempSync(join(tmpdir(), 'kv-bench-'))
const env = {...process.env, KV_DATA_DIR: join(work, 'data'), XDG_CONFIG_HOME: join(work, 'config')}
const rows = []

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Median wall time (ms) of starting `args` as a process, interleaved with the reference so both see the same machine. */
function timeProcesses(commands) {
  const times = commands.map(() => [])
  for (let run = 0; run < runs; run++) {
    commands.forEach((args, index) => {
      const start = performance.now()
      const result = spawnSync(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
      times[index].push(performance.now() - start)
      if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`)
    })
  }
  return times.map(median)
}

function row(figure, kv, reference, referenceName, ratio, target) {
  rows.push({figure, kv, reference: `${reference} (${referenceName})`, ratio, target})
}

const fmtMs = (ms) => `${ms.toFixed(1)} ms`
const fmtOps = (ops) => `${Math.round(ops).toLocaleString('en-US')} ops/s`

async function startup() {
  execFileSync(process.execPath, [kvBin, 'put', 'bench:key', 'value'], {env})
  const [node, get, put, list] = timeProcesses([
    ['-e', '0'],
    [kvBin, 'get', 'bench:key'],
    [kvBin, 'put', 'bench:key', 'value'],
    [kvBin, 'list', '--prefix', 'bench:'],
  ])
  row('kv get, one process', fmtMs(get), fmtMs(node), 'node -e 0', `${(get / node).toFixed(2)}×`, '≤ 1.5×')
  row('kv put, one process', fmtMs(put), fmtMs(node), 'node -e 0', `${(put / node).toFixed(2)}×`, '≤ 1.7×')
  row('kv list, one process', fmtMs(list), fmtMs(node), 'node -e 0', `${(list / node).toFixed(2)}×`, '≤ 1.7×')
}

/** Throughput of the binding's get and put against raw lmdb-js on the same kind of data. */
async function library() {
  const count = 20_000
  const keys = Array.from({length: count}, (_, i) => `user:${String(i).padStart(6, '0')}`)
  const value = 'x'.repeat(40)

  const raw = open({path: join(work, 'raw'), noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 4})
  const rawDb = raw.openDB({name: 'values', keyEncoding: 'binary', encoding: 'binary'})
  const encoder = new TextEncoder()
  const rawKeys = keys.map((key) => encoder.encode(key))
  const rawValue = encoder.encode(value)
  let start = performance.now()
  await raw.transaction(() => {
    for (const key of rawKeys) rawDb.putSync(key, rawValue)
  })
  const rawPut = count / ((performance.now() - start) / 1000)

  const namespace = await openNamespace('bench-lib', {dataDir: join(work, 'lib'), create: true})
  start = performance.now()
  await Promise.all(keys.map((key) => namespace.put(key, value)))
  const kvPut = count / ((performance.now() - start) / 1000)

  const rounds = 5
  const rawGets = []
  const kvGets = []
  for (let round = 0; round < rounds; round++) {
    start = performance.now()
    for (const key of keys) rawDb.get(encoder.encode(key))
    rawGets.push(count / ((performance.now() - start) / 1000))
    start = performance.now()
    for (const key of keys) await namespace.get(key)
    kvGets.push(count / ((performance.now() - start) / 1000))
  }
  const rawGet = median(rawGets)
  const kvGet = median(kvGets)
  row('library get (awaited, one at a time)', fmtOps(kvGet), fmtOps(rawGet), 'raw lmdb-js get', `${(kvGet / rawGet).toFixed(2)}×`, '≥ 0.5×')
  row(`library put (${count.toLocaleString('en-US')} in one batch)`, fmtOps(kvPut), fmtOps(rawPut), 'raw lmdb-js, one txn', `${(kvPut / rawPut).toFixed(2)}×`, '≥ 0.5×')
  await namespace.close()
  await raw.close()
}

/** A namespace of `largeKeyCount` keys: the map grows on its own, and prefix lists stay fast. */
async function scale() {
  const dataDir = join(work, 'large')
  const namespace = await openNamespace('large', {dataDir, create: true})
  const batch = 10_000
  let start = performance.now()
  for (let offset = 0; offset < largeKeyCount; offset += batch) {
    const puts = []
    for (let i = offset; i < Math.min(offset + batch, largeKeyCount); i++) {
      puts.push(namespace.put(`k:${String(i % 1000).padStart(3, '0')}:${i}`, `value-${i}`))
    }
    await Promise.all(puts)
  }
  const loadSeconds = (performance.now() - start) / 1000
  // Walk every key back with the cursor: nothing lost while the map grew.
  let walked = 0
  let cursor = null
  do {
    const page = await namespace.listPage({limit: 100_000, cursor})
    walked += page.keys.length
    cursor = page.cursor
  } while (cursor)
  if (walked !== largeKeyCount) throw new Error(`walked ${walked} keys, expected ${largeKeyCount}`)
  const times = []
  for (let i = 0; i < 50; i++) {
    start = performance.now()
    const keys = await namespace.list({prefix: `k:${String(i % 1000).padStart(3, '0')}:`, limit: 1000})
    times.push(performance.now() - start)
    if (keys.length !== Math.floor(largeKeyCount / 1000)) throw new Error(`prefix list returned ${keys.length} keys`)
  }
  row(
    `list by prefix, ${Math.floor(largeKeyCount / 1000)} of ${largeKeyCount.toLocaleString('en-US')} keys`,
    fmtMs(median(times)),
    `loaded in ${loadSeconds.toFixed(1)} s`,
    `all ${walked.toLocaleString('en-US')} walked back by cursor`,
    '',
    '1,000 keys ≤ 10 ms',
  )
  await namespace.close()
}

try {
  await startup()
  await library()
  await scale()
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`kv bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${runs} runs per process figure\n`)
  console.log('| figure | kv | reference | ratio | target |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.figure} | ${r.kv} | ${r.reference} | ${r.ratio} | ${r.target} |`)
} finally {
  rmSync(work, {recursive: true, force: true})
}
