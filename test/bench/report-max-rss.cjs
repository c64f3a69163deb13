// Preloaded with `node --require` by the bench: writes the process's peak RSS (bytes) to KV_BENCH_RSS_FILE.
// On Linux from /proc/self/status (VmHWM): getrusage's maxRSS of a spawned process starts at its parent's RSS
// (the fork before exec), so under a bench process holding a large namespace it read 51-57 MiB for `node -e 0`.
const {readFileSync, writeFileSync} = require('node:fs')

function peakRss() {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (kib) return Number(kib[1]) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}

process.on('exit', () => writeFileSync(process.env.KV_BENCH_RSS_FILE, String(peakRss())))
