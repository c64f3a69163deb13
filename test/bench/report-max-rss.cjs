// Preloaded with `node --require` by the bench: writes the process's peak RSS (bytes) to KV_BENCH_RSS_FILE.
const {writeFileSync} = require('node:fs')

process.on('exit', () => writeFileSync(process.env.KV_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)))
