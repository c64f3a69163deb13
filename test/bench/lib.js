// Helpers the benchmark modules in targets/ share. Figures are medians; every kv figure is measured next to
// its reference in the same run, so both see the same machine.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const KV_BIN = join(ROOT, 'bin', 'run.js')
/** Process starts per start-up figure. */
export const RUNS = Number(process.env.BENCH_RUNS ?? 30)
/** Keys in the large namespace (list and reclaim figures). */
export const LARGE_KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000)

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** A scratch directory for `body`, removed afterwards. */
export async function withWorkDir(body) {
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-'))
  try {
    return await body(dir)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The environment a kv process gets in the bench: its own data and config directories. */
export function kvEnv(dir) {
  return {...process.env, KV_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), KV_NAMESPACE: undefined}
}

const RSS_REPORTER = join(import.meta.dirname, 'report-max-rss.cjs')

/**
 * Starts each command (node arguments) `RUNS` times, interleaved, and returns per command the median wall
 * time (ms), the fastest (`fastestMs`: start-up is a floor cost and noise only adds to it, so fastest compares
 * with fastest), and the median peak RSS (bytes, reported by the process itself as it exits).
 */
export function measureProcesses(commands, env) {
  const times = commands.map(() => [])
  const rss = commands.map(() => [])
  const rssFile = join(env.KV_DATA_DIR ?? tmpdir(), '..', 'max-rss')
  for (let run = 0; run < RUNS; run++) {
    commands.forEach((args, index) => {
      const start = performance.now()
      const timed = spawnSync(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
      times[index].push(performance.now() - start)
      if (timed.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${timed.stderr}`)
      // Peak RSS in a separate start, so the reporter does not weigh on the timed one.
      spawnSync(process.execPath, ['--require', RSS_REPORTER, ...args], {env: {...env, KV_BENCH_RSS_FILE: rssFile}, stdio: 'ignore'})
      rss[index].push(Number(readFileSync(rssFile, 'utf8')))
    })
  }
  return commands.map((_, index) => ({ms: median(times[index]), fastestMs: Math.min(...times[index]), rss: median(rss[index])}))
}

/**
 * Runs each body `rounds` times, alternating between them so they share the machine's ups and downs, and
 * returns each one's median duration in ms.
 */
export async function medianTimes(rounds, bodies) {
  const times = bodies.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, body] of bodies.entries()) {
      const start = performance.now()
      await body(round)
      times[index].push(performance.now() - start)
    }
  }
  return times.map(median)
}

/** Runs `body` `rounds` times and returns the median duration in ms. */
export async function medianTime(rounds, body) {
  const times = []
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    await body(round)
    times.push(performance.now() - start)
  }
  return median(times)
}

export const fmtMs = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
export const fmtMiB = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
export const fmtOps = (ops) => `${Math.round(ops).toLocaleString('en-US')} ops/s`
export const fmtCount = (n) => n.toLocaleString('en-US')

/** A row where smaller is better: kv / reference against an upper bound. */
export function atMost(target, kv, reference, referenceName, limit, format) {
  const ratio = kv / reference
  return {target, kv: format(kv), reference: `${format(reference)} (${referenceName})`, ratio, goal: `≤ ${limit}×`, met: ratio <= limit}
}

/**
 * A start-up row: fastest against fastest (the ratio the goal applies to), with the medians' ratio beside it.
 * `kv` and `reference` are measureProcesses results.
 */
export function startupRow(target, kv, reference, referenceName, limit) {
  const both = ({fastestMs, ms}) => `${fmtMs(fastestMs)} fastest, ${fmtMs(ms)} median`
  const ratio = kv.fastestMs / reference.fastestMs
  return {
    target,
    kv: both(kv),
    reference: `${both(reference)} (${referenceName})`,
    ratio,
    medianRatio: kv.ms / reference.ms,
    goal: limit === undefined ? '' : `≤ ${limit}× (fastest)`,
    met: limit === undefined ? undefined : ratio <= limit,
  }
}

/** A row where larger is better (throughput): kv / reference against a lower bound. */
export function atLeast(target, kv, reference, referenceName, limit, format) {
  const ratio = kv / reference
  return {target, kv: format(kv), reference: `${format(reference)} (${referenceName})`, ratio, goal: `≥ ${limit}×`, met: ratio >= limit}
}

/**
 * The same records, `count` of them with `valueBytes`-byte values, as an NDJSON bulk file for kv import and as
 * a RESP stream of SET commands for redis-cli --pipe; returns the two files' paths.
 */
export function writeImportInputs(dir, count, valueBytes) {
  const ndjson = []
  const resp = []
  for (let i = 0; i < count; i++) {
    const key = `bench:${String(i).padStart(8, '0')}`
    const value = `value-${i}-`.padEnd(valueBytes, 'x')
    ndjson.push(`{"key":"${key}","value":"${value}"}\n`)
    resp.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`)
  }
  const files = {ndjson: join(dir, 'records.ndjson'), resp: join(dir, 'records.resp')}
  writeFileSync(files.ndjson, ndjson.join(''))
  writeFileSync(files.resp, resp.join(''))
  return files
}
