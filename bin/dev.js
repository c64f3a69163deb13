#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly; use bin/run.js (the built dist/) for anything you measure.
import {execute} from '@oclif/core'

await execute({development: true, loadOptions: {root: import.meta.dirname, userPlugins: false}})
