// Export at scale: `kv export` of a 1,000,000-key namespace (BENCH_EXPORT_KEYS), its wall time and peak
// memory. The namespace is built through the library's batch (one transaction per 100,000 keys). Goal:
// peak RSS < 200 MiB, i.e. the export streams from its snapshot instead of holding the keys.
// Node built-ins, the built library and ../lib/peak-memory.js; `measure()` returns rows for the bench table.
import {createReadStream, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'

import {describeMemory, runMeasured} from '../lib/peak-memory.js'

const root = resolve(import.meta.dirname, '..', '..', '..')
const kvBin = join(root, 'bin', 'run.js')
const KEYS = Number(process.env.BENCH_EXPORT_KEYS ?? 1_000_000)
const GOAL_MIB = 200

async function buildNamespace(dataDir) {
  const {openNamespace} = await import(join(root, 'dist', 'index.js'))
  const namespace = await openNamespace('large', {dataDir, create: true})
  const perBatch = 100_000
  try {
    for (let offset = 0; offset < KEYS; offset += perBatch) {
      await namespace.batch((batch) => {
        for (let i = offset; i < Math.min(offset + perBatch, KEYS); i++) {
          batch.put(`user:${String(i).padStart(8, '0')}`, `{"id":${i},"name":"user ${i}","plan":"free"}`, i % 10 === 0 ? {expiresIn: 86_400} : undefined)
        }
      })
    }
  } finally {
    await namespace.close()
  }
}

async function countLines(file) {
  let lines = 0
  for await (const chunk of createReadStream(file)) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
  return lines
}

export async function measure() {
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-export-'))
  try {
    const dataDir = join(dir, 'data')
    const buildStart = performance.now()
    await buildNamespace(dataDir)
    const buildSeconds = (performance.now() - buildStart) / 1000
    const outFile = join(dir, 'export.ndjson')
    const run = await runMeasured(process.execPath, [kvBin, 'export', '-n', 'large'], {env: {...process.env, KV_DATA_DIR: dataDir}, stdoutFile: outFile})
    const lines = await countLines(outFile)
    if (lines !== KEYS) throw new Error(`kv export wrote ${lines} records, expected ${KEYS}`)
    const peakMiB = run.peakKiB / 1024
    return [
      {
        target: `export ${KEYS.toLocaleString('en-US')} keys: peak RSS`,
        kv: describeMemory(run),
        reference: `${(run.elapsedMs / 1000).toFixed(1)} s, ${Math.round(KEYS / (run.elapsedMs / 1000)).toLocaleString('en-US')} keys/s (namespace built in ${buildSeconds.toFixed(1)} s; RSS via ${run.rssSource})`,
        ratio: null,
        goal: `< ${GOAL_MIB} MiB`,
        met: peakMiB < GOAL_MIB,
      },
    ]
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await measure())
