// Runs a command and reports its wall time and peak memory: peak RSS from `/usr/bin/time -f %M` when it
// is present (else the children's max RSS that Node reports), and, on Linux, the peak anonymous RSS
// (heap, buffers, LMDB's unwritten pages) sampled from /proc. The rest of the RSS is file pages mapped from
// LMDB's data file: clean page cache that grows with the namespace and that the kernel can drop.
import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

/** `stdoutFile`: where the command's stdout goes (default: discarded). */
export function runMeasured(command, args, {env = process.env, stdoutFile} = {}) {
  const useTime = existsSync('/usr/bin/time')
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-mem-'))
  const timeFile = join(dir, 'time.txt')
  const [program, argv] = useTime ? ['/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args]
  const out = stdoutFile === undefined ? 'ignore' : openSync(stdoutFile, 'w')
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, {env, stdio: ['ignore', out, 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    let peakAnonKiB = null
    const sampler = setInterval(() => {
      const anon = anonRssKiB(useTime ? firstChild(child.pid) : child.pid)
      if (anon !== null) peakAnonKiB = Math.max(peakAnonKiB ?? 0, anon)
    }, 20)
    const finish = () => {
      clearInterval(sampler)
      if (out !== 'ignore') closeSync(out)
    }
    child.on('error', (error) => {
      finish()
      reject(error)
    })
    child.on('exit', (code) => {
      const elapsedMs = performance.now() - start
      finish()
      try {
        if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr}`)
        const peakKiB = useTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : process.resourceUsage().maxRSS
        resolve({elapsedMs, peakKiB, peakAnonKiB, rssSource: useTime ? '/usr/bin/time' : 'resource usage'})
      } catch (error) {
        reject(error)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })
}

/** "171 MiB peak RSS (of it ≤ 51 MiB anonymous)" */
export function describeMemory({peakKiB, peakAnonKiB}) {
  const anon = peakAnonKiB === null ? '' : ` (anonymous ≤ ${(peakAnonKiB / 1024).toFixed(0)} MiB)`
  return `${(peakKiB / 1024).toFixed(0)} MiB${anon}`
}

function firstChild(pid) {
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
