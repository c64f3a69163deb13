#!/usr/bin/env node
// A reader that stops early (`kv list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

const {flush, run} = await import('@oclif/core')
try {
  // kv has no user plugins. oclif would otherwise load any listed in $KV_DATA_DIR/package.json, since it
  // reads KV_DATA_DIR as its own data directory: a data directory must never run code.
  await run(process.argv.slice(2), {root: import.meta.dirname, userPlugins: false})
  await flush()
} catch (error) {
  // Commands report their own errors; what arrives here is oclif's (unknown command, and the like).
  const {reportFailure} = await import('../dist/cli/failure.js')
  reportFailure(error, {json: false})
}
