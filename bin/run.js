#!/usr/bin/env node
// A reader that stops early (`kv list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
