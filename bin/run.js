#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS entry a few milliseconds sooner than an ES module.
'use strict'
const {readFileSync, renameSync, writeFileSync} = require('node:fs')
const Module = require('node:module')
const {dirname, join} = require('node:path')
const vm = require('node:vm')

// A reader that stops early (`kv list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

/**
 * dist/kv.cjs is the whole CLI in one file (`npm run build`, scripts/build.mjs). It is compiled from the V8
 * code cache next to it, which takes about a third off start-up: Node 20 has no built-in compile cache. A cache V8 rejects
 * (another Node version) or a missing one is written again, atomically, when this process exits; the build
 * sets KV_CODE_CACHE=write to have each warm-up command add the functions it compiled.
 */
function loadCli(bundle) {
  const cacheFile = `${bundle}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  // The bundle is ASCII (the build makes it so): decoded from a Buffer, it takes V8's fast path to a one-byte string.
  const script = new vm.Script(Module.wrap(readFileSync(bundle).toString()), {
    filename: bundle,
    cachedData,
    // The bundle imports its lazily loaded dependencies (prompts, tables) with import().
    importModuleDynamically: (specifier) => import(specifier),
  })
  const module = new Module(bundle)
  module.filename = bundle
  module.paths = Module._nodeModulePaths(dirname(bundle))
  const require = Module.createRequire(bundle)
  // oclif loads the command table from this same file: let it find the module already evaluated.
  require.cache[bundle] = module
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle))
  module.loaded = true
  if (cachedData === undefined || script.cachedDataRejected || process.env.KV_CODE_CACHE === 'write') {
    process.once('exit', () => {
      try {
        const temporary = `${cacheFile}.${process.pid}`
        writeFileSync(temporary, script.createCachedData())
        renameSync(temporary, cacheFile)
      } catch {
        // A read-only install keeps working, only without the cache.
      }
    })
  }
  return module.exports
}

// The package's root, where oclif finds package.json (not this directory: its package.json only sets the module type).
const root = join(__dirname, '..')
const {main} = loadCli(join(root, 'dist', 'kv.cjs'))
main(process.argv.slice(2), root)
