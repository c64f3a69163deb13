// Export at scale: `kv export` of a 1,000,000-key namespace, its wall time and peak RSS. The namespace is
// built through the library's batch (one transaction per 100,000 keys). Goal: peak RSS < 200 MiB, i.e.
// the export streams from its snapshot instead of holding the keys. RSS comes from `/usr/bin/time -f %M`
// when present, else from the child's resource usage as Node reports it.
// Self-contained: node built-ins and the built library; `measure()` returns rows for the bench table.
import {spawn} from 'node:child_process'
import {closeSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'

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

/** Runs `kv export` with stdout to `outFile`; returns wall time (ms) and peak RSS (KiB). */
function runExport(dataDir, outFile, timeFile) {
  const useTime = existsSync('/usr/bin/time')
  const [command, args] = useTime
    ? ['/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, kvBin, 'export', '-n', 'large']]
    : [process.execPath, [kvBin, 'export', '-n', 'large']]
  const out = openSync(outFile, 'w')
  const start = performance.now()
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {env: {...process.env, KV_DATA_DIR: dataDir}, stdio: ['ignore', out, 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    // Peak anonymous RSS (heap, buffers), sampled from /proc on Linux: the rest of the RSS is LMDB's
    // memory-mapped file, clean page cache that grows with the namespace and that the kernel can drop.
    let peakAnonKiB = null
    const sampler = setInterval(() => {
      const anon = anonRssKiB(useTime ? childPid(child.pid) : child.pid)
      if (anon !== null) peakAnonKiB = Math.max(peakAnonKiB ?? 0, anon)
    }, 20)
    child.on('error', reject)
    child.on('exit', (code) => {
      const elapsed = performance.now() - start
      clearInterval(sampler)
      closeSync(out)
      if (code !== 0) return reject(new Error(`kv export failed (${code}): ${stderr}`))
      // Without /usr/bin/time: the largest RSS among this process's waited-for children.
      const peakKiB = useTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : process.resourceUsage().maxRSS
      resolvePromise({elapsed, peakKiB, peakAnonKiB, rssSource: useTime ? '/usr/bin/time' : 'resource usage'})
    })
  })
}

/** The first child of `pid` (node under /usr/bin/time), or undefined. */
function childPid(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined
  } catch {
    return undefined
  }
}

function anonRssKiB(pid) {
  if (pid === undefined) return null
  try {
    const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : null
  } catch {
    return null
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
    const {elapsed, peakKiB, peakAnonKiB, rssSource} = await runExport(dataDir, outFile, join(dir, 'time.txt'))
    const lines = await countLines(outFile)
    if (lines !== KEYS) throw new Error(`kv export wrote ${lines} records, expected ${KEYS}`)
    const peakMiB = peakKiB / 1024
    const keys = KEYS.toLocaleString('en-US')
    return [
      {
        target: `export ${keys} keys: peak RSS`,
        kv: `${peakMiB.toFixed(0)} MiB`,
        reference:
          `${(elapsed / 1000).toFixed(1)} s wall, ${Math.round(KEYS / (elapsed / 1000)).toLocaleString('en-US')} keys/s; ` +
          `RSS via ${rssSource}${peakAnonKiB === null ? '' : `, of it anonymous ≤ ${(peakAnonKiB / 1024).toFixed(0)} MiB (the rest is the mapped data file)`}; ` +
          `namespace built in ${buildSeconds.toFixed(1)} s`,
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
