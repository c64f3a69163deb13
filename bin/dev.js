#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly; use bin/run.js (the built bundle) for anything you measure.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {execute} from '@oclif/core'

// The built CLI reads its commands from the bundle's COMMANDS table; here oclif finds them in src/commands.
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './src/commands'
await execute({development: true, loadOptions: {root: join(import.meta.dirname, '..'), pjson, userPlugins: false}})
