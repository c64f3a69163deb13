#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly; use bin/run.js (the built dist/) for anything you measure.
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
