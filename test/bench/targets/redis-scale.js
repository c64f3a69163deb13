// A large namespace on Redis (BENCH_KEYS keys, default 1,000,000), on a private redis-server (127.0.0.1 TCP,
// persistence off):
// - how long the server is blocked while `kv import` loads it and while `kv ns delete` removes it (goal
//   < 50 ms each), seen two ways: the longest command kv sent, from SLOWLOG (commands over 0.1 ms are
//   logged; a script's duration is all of its work), and the longest round trip of a second client that
//   PINGs about once a millisecond throughout (this one also carries the machine's scheduling noise, so
//   the same probe's figure while the server is idle and while `redis-cli --pipe` SETs the same records
//   is given beside it);
// - a list of 1,000 keys by prefix from it, in-process (goal < 10 ms), beside a raw ZRANGE BYLEX of the same
//   range of kv's index.
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, openSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {Redis} from 'ioredis'

import {createNamespace, openNamespace} from '../../../dist/index.js'
import * as scripts from '../../../dist/engine/store/redis/scripts.js'
import {fmtCount, fmtMs, KV_BIN, kvEnv, LARGE_KEYS, medianTime, withWorkDir} from '../lib.js'
import {notMeasured, redisInstalled, startRedis} from '../lib/redis.js'

const PREFIXES = 1000
const VALUE_BYTES = 40
const BLOCK_GOAL_MS = 50
const LIST_GOAL_MS = 10
const PROBE_NAME = 'kv-bench-probe'
const SLOWLOG_MICROS = 100
const IDLE_PROBE_MS = 2000

const key = (i) => `k:${String(i % PREFIXES).padStart(3, '0')}:${i}`

/** The same LARGE_KEYS records, a tenth with a day's TTL, as NDJSON for kv and as RESP SETs for redis-cli. */
function writeInputs(dir) {
  const files = {ndjson: join(dir, 'large.ndjson'), resp: join(dir, 'large.resp')}
  const ndjson = openSync(files.ndjson, 'w')
  const resp = openSync(files.resp, 'w')
  try {
    for (let start = 0; start < LARGE_KEYS; start += 100_000) {
      let lines = ''
      let commands = ''
      for (let i = start; i < Math.min(start + 100_000, LARGE_KEYS); i++) {
        const k = key(i)
        const value = `value-${i}-`.padEnd(VALUE_BYTES, 'x')
        const expiring = i % 10 === 0
        lines += `{"key":"${k}","value":"${value}"${expiring ? ',"expiration_ttl":86400' : ''}}\n`
        commands += expiring
          ? `*5\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${value.length}\r\n${value}\r\n$2\r\nEX\r\n$5\r\n86400\r\n`
          : `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${value.length}\r\n${value}\r\n`
      }
      writeSync(ndjson, lines)
      writeSync(resp, commands)
    }
  } finally {
    closeSync(ndjson)
    closeSync(resp)
  }
  return files
}

/** Runs a process to its end without blocking this one's event loop (the probe runs meanwhile). */
function run(command, args, {env = process.env, stdinFile} = {}) {
  return new Promise((resolve, reject) => {
    const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r')
    const start = performance.now()
    const child = spawn(command, args, {env, stdio: [stdin, 'pipe', 'pipe']})
    if (stdin !== 'ignore') closeSync(stdin)
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve({ms: performance.now() - start, out})
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${out}`))
    })
  })
}

/** A second client that PINGs about once a millisecond until stopped; returns its longest round trip and the 99th percentile. */
function startProbe(probe) {
  let running = true
  const times = []
  const done = (async () => {
    while (running) {
      const start = performance.now()
      await probe.ping()
      times.push(performance.now() - start)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  })()
  return async () => {
    running = false
    await done
    return {max: Math.max(...times), p99: p99(times), samples: times.length}
  }
}

const namedScripts = Object.entries(scripts).filter(([, lua]) => typeof lua === 'string')
const scriptNames = new Map(namedScripts.map(([name, lua]) => [createHash('sha1').update(lua).digest('hex'), name]))

/** The script an EVALSHA (by its SHA) or an EVAL (by its text, which SLOWLOG cuts after 128 bytes) ran. */
function scriptName(command, arg) {
  if (command === 'EVALSHA') return scriptNames.get(arg) ?? 'script'
  const start = arg.slice(0, 100)
  const matches = namedScripts.filter(([, lua]) => lua.startsWith(start))
  return matches.length === 1 ? matches[0][0] : 'script'
}

/** The 99th percentile of some durations. */
const p99 = (values) => (values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)])

/**
 * The commands in SLOWLOG that the probe did not send: the longest (its duration in ms and what it was),
 * and the 99th percentile of the scripts among them (of all of them when there are none; Redis also logs
 * the commands a script runs, each shorter than the script). The longest also carries any stall of the
 * machine itself (a page fault, the server descheduled), which the percentile mostly does not.
 */
async function slowest(admin) {
  const entries = await admin.call('SLOWLOG', 'GET', '-1')
  let max = {ms: 0, what: 'nothing over 0.1 ms'}
  const all = []
  const scriptDurations = []
  for (const [, , micros, args, , clientName] of entries) {
    if (clientName === PROBE_NAME || args[0] === 'SLOWLOG') continue
    const ms = micros / 1000
    const command = String(args[0]).toUpperCase()
    const script = command === 'EVALSHA' || command === 'EVAL'
    all.push(ms)
    if (script) scriptDurations.push(ms)
    if (ms > max.ms) max = {ms, what: script ? `${command} ${scriptName(command, String(args[1]))}` : command}
  }
  const measured = scriptDurations.length > 0 ? scriptDurations : all
  return {...max, p99: p99(measured), counted: `${fmtCount(measured.length)} ${scriptDurations.length > 0 ? 'scripts' : 'commands'} ≥ 0.1 ms`}
}

/** Runs `work` with the slow log emptied first and the probe running; returns its result with both figures. */
async function observed(admin, probe, work) {
  await admin.call('SLOWLOG', 'RESET')
  const stopProbe = startProbe(probe)
  let result
  try {
    result = await work()
  } finally {
    var seen = await stopProbe()
  }
  return {result, slowest: await slowest(admin), probe: seen}
}

export async function measure() {
  const n = fmtCount(LARGE_KEYS)
  const targets = {
    importBlock: `kv import ${n} records into Redis: longest command (SLOWLOG)`,
    importProbe: `kv import ${n} records into Redis: longest round trip of a second client`,
    list: `list 1,000 keys by prefix from ${n} on Redis, in-process`,
    deleteBlock: `kv ns delete of ${n} keys on Redis: longest command (SLOWLOG)`,
    deleteProbe: `kv ns delete of ${n} keys on Redis: longest round trip of a second client`,
  }
  if (!redisInstalled()) {
    return Object.values(targets).map((target) => notMeasured(target, target === targets.list ? `< ${LIST_GOAL_MS} ms` : `< ${BLOCK_GOAL_MS} ms`))
  }
  const server = await startRedis({'slowlog-log-slower-than': SLOWLOG_MICROS, 'slowlog-max-len': 100_000})
  const admin = new Redis({host: server.host, port: server.port})
  const probe = new Redis({host: server.host, port: server.port, connectionName: PROBE_NAME})
  try {
    return await withWorkDir(async (dir) => {
      const env = kvEnv(dir)
      const files = writeInputs(dir)
      const store = server.url
      const blockRow = (target, {slowest: {ms, what, p99: p99ms, counted}}, reference) => ({
        target,
        kv: `${fmtMs(ms)} (${what}); p99 ${fmtMs(p99ms)} of ${counted}`,
        reference,
        ratio: null,
        goal: `< ${BLOCK_GOAL_MS} ms`,
        met: ms < BLOCK_GOAL_MS,
      })
      const probeRow = (target, {probe: {max, p99: p99ms, samples}}, reference) => ({
        target,
        kv: `${fmtMs(max)}; p99 ${fmtMs(p99ms)} of ${fmtCount(samples)} PINGs`,
        reference,
        ratio: null,
        goal: `< ${BLOCK_GOAL_MS} ms`,
        met: max < BLOCK_GOAL_MS,
      })

      // The probe alone, then during redis-cli --pipe of the same records: what a second client sees anyway.
      const idle = (await observed(admin, probe, () => new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_MS)))).probe
      const pipe = await observed(admin, probe, () => run('redis-cli', ['-h', server.host, '-p', String(server.port), '--pipe'], {stdinFile: files.resp}))
      if (!pipe.result.out.includes(`errors: 0, replies: ${LARGE_KEYS}`)) throw new Error(`redis-cli --pipe: ${pipe.result.out}`)
      await admin.call('FLUSHALL')
      const probeContext = (what) =>
        `same probe, longest (p99): idle ${fmtMs(idle.max)} (${fmtMs(idle.p99)}), during redis-cli --pipe of the same records ${fmtMs(pipe.probe.max)} (${fmtMs(pipe.probe.p99)}); ${what}`

      await createNamespace('large', {store})
      const imported = await observed(admin, probe, () => run(process.execPath, [KV_BIN, 'import', files.ndjson, '-n', 'large', '--store', store], {env}))
      const rows = [
        blockRow(
          targets.importBlock,
          imported,
          `redis-cli --pipe of the same records: longest SET ${fmtMs(pipe.slowest.ms)}, p99 ${fmtMs(pipe.slowest.p99)} (what the machine adds); kv import took ${(imported.result.ms / 1000).toFixed(1)} s`,
        ),
        probeRow(targets.importProbe, imported, probeContext(`kv import took ${(imported.result.ms / 1000).toFixed(1)} s`)),
      ]

      // Listing by prefix, against the same range read from kv's index with ZRANGE BYLEX.
      const namespace = await openNamespace('large', {store})
      try {
        const id = String(await admin.hget('kv:{registry}:namespaces', 'large'))
        const prefixOf = (round) => `k:${String((round * 37) % PREFIXES).padStart(3, '0')}:`
        const expected = Math.min(Math.floor(LARGE_KEYS / PREFIXES), 1000)
        const kv = await medianTime(50, async (round) => {
          const keys = await namespace.list({prefix: prefixOf(round), limit: 1000})
          if (keys.length !== expected) throw new Error(`prefix list returned ${keys.length} keys`)
        })
        const reference = await medianTime(50, async (round) => {
          const prefix = prefixOf(round)
          const members = await admin.zrangeBuffer(`kv:{${id}}:keys`, `[${prefix}`, `(${prefix.slice(0, -1)};`, 'BYLEX', 'LIMIT', 0, 1000)
          if (members.length !== expected) throw new Error(`ZRANGE BYLEX returned ${members.length} keys`)
        })
        rows.push({
          target: targets.list.replace('1,000 keys', `${fmtCount(expected)} keys`),
          kv: fmtMs(kv),
          reference: `${fmtMs(reference)} (raw ioredis ZRANGE BYLEX of the same range of kv's index)`,
          ratio: kv / reference,
          goal: `< ${LIST_GOAL_MS} ms`,
          met: kv < LIST_GOAL_MS,
        })
      } finally {
        await namespace.close()
      }

      const deleted = await observed(admin, probe, () => run(process.execPath, [KV_BIN, 'ns', 'delete', 'large', '--yes', '--store', store], {env}))
      if ((await admin.dbsize()) > 1) throw new Error(`kv ns delete left ${await admin.dbsize()} keys`)
      rows.push(
        blockRow(
          targets.deleteBlock,
          deleted,
          `redis-cli --pipe's longest SET above: ${fmtMs(pipe.slowest.ms)}; kv ns delete took ${(deleted.result.ms / 1000).toFixed(1)} s`,
        ),
        probeRow(targets.deleteProbe, deleted, probeContext(`kv ns delete took ${(deleted.result.ms / 1000).toFixed(1)} s`)),
      )
      return rows
    })
  } finally {
    probe.disconnect()
    admin.disconnect()
    await server.stop()
  }
}
