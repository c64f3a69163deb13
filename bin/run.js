#!/usr/bin/env node
// A reader that stops early (`kv list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

// dist/kv.js is the whole CLI bundled into one file by `npm run build` (scripts/build.mjs).
const {main} = await import('../dist/kv.js')
await main(process.argv.slice(2), import.meta.dirname)
