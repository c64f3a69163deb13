// The upgrade from storage format 1 (kv 0.1.0) to format 2, which the first `openNamespace` of an old
// namespace runs in one write transaction. The legacy namespace (BENCH_UPGRADE_KEYS keys, default 1,000,000,
// a tenth expiring) is built with raw lmdb-js as kv 0.1.0 laid it out: dbs `values` (key -> value bytes),
// `expiries` (key -> 8-byte big-endian ms, expiring keys only) and `expiry-index` (8-byte time ++ key ->
// empty), no `kv-meta`, environment options as src/engine/store/lmdb/environment.ts but maxDbs 4. A child
// process opens it; its own timing of the open and its peak memory are reported, beside the same child
// opening the namespace again once it is in format 2. No goal is set for it.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {open} from 'lmdb'

import {describeMemory, runMeasured} from '../lib/peak-memory.js'
import {fmtCount, ROOT, withWorkDir} from '../lib.js'

const KEYS = Number(process.env.BENCH_UPGRADE_KEYS ?? 1_000_000)
const PER_TXN = 100_000
const FORMAT_1_OPTIONS = {noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 4}
const BINARY = {keyEncoding: 'binary', encoding: 'binary'}

function encodeTime(ms) {
  const bytes = Buffer.alloc(8)
  bytes.writeUInt32BE(Math.floor(ms / 2 ** 32), 0)
  bytes.writeUInt32BE(ms >>> 0, 4)
  return bytes
}

/** Writes the format-1 namespace; keys and index entries ascend, so every put appends. */
async function buildLegacy(directory) {
  const env = open({path: directory, ...FORMAT_1_OPTIONS})
  const values = env.openDB({name: 'values', ...BINARY})
  const expiries = env.openDB({name: 'expiries', ...BINARY})
  const index = env.openDB({name: 'expiry-index', ...BINARY})
  const dayFromNow = Date.now() + 86_400_000
  try {
    for (let offset = 0; offset < KEYS; offset += PER_TXN) {
      env.transactionSync(() => {
        for (let i = offset; i < Math.min(offset + PER_TXN, KEYS); i++) {
          const key = Buffer.from(`user:${String(i).padStart(8, '0')}`)
          values.putSync(key, Buffer.from(`{"id":${i},"name":"user ${i}","plan":"free"}`), {append: true})
          if (i % 10 === 0) {
            const time = encodeTime(dayFromNow + i)
            expiries.putSync(key, time, {append: true})
            index.putSync(Buffer.concat([time, key]), Buffer.alloc(0), {append: true})
          }
        }
      })
    }
  } finally {
    await env.close()
  }
}

/** A child process that opens the namespace, timing the open itself, and checks what it finds. */
const OPEN_SCRIPT = `
const {openNamespace} = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))})
const start = performance.now()
const namespace = await openNamespace('legacy', {dataDir: process.argv[1]})
const openMs = performance.now() - start
const stats = await namespace.stats()
const sample = await namespace.getEntry('user:00000010')
console.log(JSON.stringify({openMs, keys: stats.keys, expiring: stats.expiring, sample: sample && {value: new TextDecoder().decode(sample.value), expires: sample.expiresAt !== null}}))
await namespace.close()
`

async function openInChild(dataDir, outFile) {
  const run = await runMeasured(process.execPath, ['--input-type=module', '-e', OPEN_SCRIPT, dataDir], {stdoutFile: outFile})
  const seen = JSON.parse(readFileSync(outFile, 'utf8'))
  if (seen.keys !== KEYS || seen.expiring !== Math.ceil(KEYS / 10) || seen.sample?.value !== '{"id":10,"name":"user 10","plan":"free"}' || !seen.sample.expires) {
    throw new Error(`the upgraded namespace holds something else: ${JSON.stringify(seen)}`)
  }
  return {...run, openMs: seen.openMs}
}

export async function measure() {
  return withWorkDir(async (dir) => {
    const dataDir = join(dir, 'data')
    const buildStart = performance.now()
    await buildLegacy(join(dataDir, 'namespaces', 'legacy'))
    const buildSeconds = (performance.now() - buildStart) / 1000
    const upgrade = await openInChild(dataDir, join(dir, 'upgrade.json'))
    const reopen = await openInChild(dataDir, join(dir, 'reopen.json'))
    const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`
    return [
      {
        target: `upgrade a ${fmtCount(KEYS)}-key namespace from format 1 (kv 0.1.0) on first open: time, peak memory`,
        kv: `${seconds(upgrade.openMs)} to open; ${describeMemory(upgrade)} peak RSS (process ${seconds(upgrade.elapsedMs)})`,
        reference: `opened again, already format 2: ${seconds(reopen.openMs)}; ${describeMemory(reopen)} (legacy namespace built in ${buildSeconds.toFixed(1)} s; RSS via ${upgrade.rssSource})`,
        ratio: null,
        goal: 'none set (reported)',
        met: null,
      },
    ]
  })
}
