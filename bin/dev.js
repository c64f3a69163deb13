#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly; use bin/run.js (the built bundle) for anything you measure.
// CommonJS, as everything in bin/ (see bin/package.json).
'use strict'
const {readFileSync} = require('node:fs')
const {join} = require('node:path')
const {execute} = require('@oclif/core')

// The built CLI reads its commands from the bundle's COMMANDS table; here oclif finds them in src/commands.
const root = join(__dirname, '..')
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
pjson.oclif.commands = './src/commands'
execute({development: true, loadOptions: {root, pjson, userPlugins: false}})
