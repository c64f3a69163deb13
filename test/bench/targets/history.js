// What keeping history costs (issue 17), each figure against the same work with history off in the same run,
// on LMDB and on a private redis-server:
// - a durable put: PUTS puts awaited one at a time, each overwriting one of 100 keys (so each keeps the entry
//   it replaced), median latency; Redis with appendonly yes and appendfsync always (durable as LMDB is);
//   goal ≤ 1.3×;
// - an import of IMPORT_KEYS new keys into an empty namespace (the library's putAll, as `kv import`):
//   time, and disk (LMDB: the namespace's files) or server memory (Redis: used_memory grown); goals ≤ 1.3×
//   the time and ≤ 1.2× the disk or memory;
// - `history(KEY)` of a key with 1,000 retained changes in a namespace with IMPORT_KEYS + 1,000 changes,
//   in-process, median of 20; goal < 20 ms;
// - `kv revert --prefix` of REVERT_KEYS keys (after `kv delete --prefix` removed them) against `kv import`
//   of the same records into an empty namespace, as commands; goal ≤ 2×.
//   BENCH_HISTORY_IMPORT   keys in the import rows (default 1,000,000)
import {spawnSync} from 'node:child_process'
import {readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {openNamespace} from '../../../dist/index.js'
import {atMost, fmtCount, fmtMiB, fmtMs, KV_BIN, kvEnv, median, withWorkDir} from '../lib.js'
import {notMeasured, redisInstalled, startRedis} from '../lib/redis.js'

const PUTS = 400
const IMPORT_KEYS = Number(process.env.BENCH_HISTORY_IMPORT ?? 1_000_000)
const KEY_CHANGES = 1000
const REVERT_KEYS = 10_000
const ROUNDS = 3

const OFF = false
const ON = undefined // the default retention

/** Median latency of PUTS durable puts, each overwriting one of 100 keys. */
async function putLatency(namespace) {
  const times = []
  for (let i = 0; i < PUTS; i++) {
    const start = performance.now()
    await namespace.put(`flag:${i % 100}`, `value ${i} ${'x'.repeat(40)}`)
    times.push(performance.now() - start)
  }
  return median(times)
}

async function* records(count, prefix = 'bench:') {
  for (let i = 0; i < count; i += 10_000) {
    yield Array.from({length: Math.min(10_000, count - i)}, (_, j) => ({key: `${prefix}${String(i + j).padStart(8, '0')}`, value: `value-${i + j}-`.padEnd(40, 'x')}))
  }
}

function bytesOnDisk(dataDir, name) {
  const directory = join(dataDir, 'namespaces', name)
  return readdirSync(directory).reduce((sum, file) => sum + statSync(join(directory, file)).blocks * 512, 0)
}

async function usedMemory(server) {
  return Number(/used_memory:(\d+)/.exec(server.cli('INFO', 'memory'))[1])
}

/** The same figures on one store; `location(i)` gives a fresh place, `footprint(place, name)` its size. */
async function measureStore(storeName, location, footprint, footprintName) {
  const rows = []
  // Put latency, alternating rounds of history off and on.
  const latencies = {off: [], on: []}
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, history] of [['off', OFF], ['on', ON]]) {
      const ns = await openNamespace(`puts-${mode}-${round}`, {...location(), create: true, history})
      latencies[mode].push(await putLatency(ns))
      await ns.close()
    }
  }
  const [putOff, putOn] = [median(latencies.off), median(latencies.on)]
  rows.push(atMost(`${storeName}: durable put with history (default retention), median of ${fmtCount(PUTS)}`, putOn, putOff, 'history off', 1.3, fmtMs))

  // Import of new keys: time and footprint, off then on (one round each: a million keys takes a while).
  const imports = {}
  for (const [mode, history] of [['off', OFF], ['on', ON]]) {
    const place = location()
    const ns = await openNamespace('import', {...place, create: true, history})
    const before = await footprint(place, 'import', 'before')
    const start = performance.now()
    await ns.putAll(records(IMPORT_KEYS))
    imports[mode] = {ms: performance.now() - start, bytes: (await footprint(place, 'import', 'after')) - before}
    if (mode === 'on') {
      // A key with KEY_CHANGES changes on top of the import's IMPORT_KEYS.
      for (let i = 0; i < KEY_CHANGES; i++) await ns.put('hot', `change ${i}`)
      const times = []
      for (let i = 0; i < 20; i++) {
        const start = performance.now()
        const {changes} = await ns.history({key: 'hot', limit: KEY_CHANGES})
        times.push(performance.now() - start)
        if (changes.length !== KEY_CHANGES) throw new Error(`history(hot) gave ${changes.length} changes`)
      }
      const ms = median(times)
      rows.push({
        target: `${storeName}: history of a key with ${fmtCount(KEY_CHANGES)} changes in a namespace of ${fmtCount(IMPORT_KEYS + KEY_CHANGES)} changes, in-process`,
        kv: fmtMs(ms),
        reference: '',
        ratio: null,
        goal: '< 20 ms',
        met: ms < 20,
      })
    }
    await ns.close()
  }
  rows.push(atMost(`${storeName}: import of ${fmtCount(IMPORT_KEYS)} new keys with history, time`, imports.on.ms, imports.off.ms, 'history off', 1.3, (ms) => `${(ms / 1000).toFixed(2)} s`))
  rows.push(atMost(`${storeName}: import of ${fmtCount(IMPORT_KEYS)} new keys with history, ${footprintName}`, imports.on.bytes, imports.off.bytes, 'history off', 1.2, fmtMiB))
  return rows
}

/** `kv revert --prefix` of REVERT_KEYS keys against `kv import` of the same records, as commands. */
function revertAgainstImport(storeName, dir, storeEnv) {
  const env = {...kvEnv(dir), ...storeEnv}
  const kv = (...args) => {
    const start = performance.now()
    const run = spawnSync(process.execPath, [KV_BIN, ...args], {env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'})
    if (run.status !== 0) throw new Error(`kv ${args.join(' ')}: ${run.stderr}`)
    return {ms: performance.now() - start, stderr: run.stderr}
  }
  const file = join(dir, `revert-${storeName}.ndjson`)
  writeFileSync(file, Array.from({length: REVERT_KEYS}, (_, i) => `{"key":"tmp:${String(i).padStart(6, '0')}","value":"${`value-${i}-`.padEnd(40, 'x')}"}\n`).join(''))
  const imports = []
  const reverts = []
  for (let round = 0; round < ROUNDS; round++) {
    kv('ns', 'create', `imported-${round}`)
    imports.push(kv('import', file, '-n', `imported-${round}`).ms)
    kv('ns', 'create', `reverted-${round}`)
    kv('import', file, '-n', `reverted-${round}`)
    const {stderr} = kv('delete', '--prefix', 'tmp:', '--yes', '-n', `reverted-${round}`)
    const to = /--to (\d+)/.exec(stderr)[1]
    reverts.push(kv('revert', '--prefix', 'tmp:', '--to', to, '--yes', '-n', `reverted-${round}`).ms)
  }
  return atMost(`${storeName}: kv revert --prefix of ${fmtCount(REVERT_KEYS)} keys`, median(reverts), median(imports), `kv import of the same ${fmtCount(REVERT_KEYS)} records`, 2, fmtMs)
}

export async function measure() {
  const rows = []
  await withWorkDir(async (dir) => {
    let places = 0
    const local = () => ({dataDir: join(dir, `lmdb-${++places}`)})
    rows.push(...(await measureStore('LMDB', local, async (place, name) => bytesOnDisk(place.dataDir, name), 'disk')))
    rows.push(revertAgainstImport('LMDB', dir, {}))
  })
  const redisTargets = ['Redis: durable put with history', 'Redis: import with history, time', 'Redis: import with history, memory', 'Redis: history of a key', 'Redis: kv revert --prefix']
  if (!redisInstalled()) return [...rows, ...redisTargets.map((target) => notMeasured(target, ''))]
  const server = await startRedis({appendonly: 'yes', appendfsync: 'always'})
  try {
    let places = 0
    const remote = () => ({store: `${server.url}?prefix=h${++places}:`})
    rows.push(...(await measureStore('Redis', remote, async () => usedMemory(server), 'server memory')))
    await withWorkDir(async (dir) => rows.push(revertAgainstImport('Redis', dir, {KV_STORE: server.url})))
  } finally {
    await server.stop()
  }
  return rows
}
