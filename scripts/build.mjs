#!/usr/bin/env node
// `npm run build`: the library (tsc -> dist/), then the CLI as one bundled CommonJS file (esbuild ->
// dist/kv.cjs) with its V8 code cache (dist/kv.cjs.cache), then oclif.manifest.json and the shell completion
// scripts (dist/completion/). Bundling spares Node hundreds of module resolutions on every start and the code
// cache spares it compiling the bundle (see bin/run.js). Every command under src/commands/ is picked up here,
// so adding one needs no build change.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {pathToFileURL} from 'node:url'
import * as esbuild from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const BUNDLE = join(root, 'dist', 'kv.cjs')
const bin = (name) => join(root, 'node_modules', '.bin', name)

/** Modules that stay out of the bundle: the heavy modules commands import lazily (they must not be evaluated
 * at start-up), and loaders oclif only uses in development. */
const EXTERNAL = ['@inquirer/prompts', 'cli-table3', 'cli-progress', 'conf', 'typescript', 'ts-node', 'tsx']

/**
 * lmdb and msgpackr are bundled as their CommonJS builds, each told where it really lives: they find their
 * native binaries (@lmdb/lmdb-<platform>, msgpackr-extract) from their own file's location (`__filename`).
 */
const bundleNativeLoaders = {
  name: 'kv-native-loaders',
  setup(build) {
    const requireFromRoot = createRequire(join(root, 'package.json'))
    build.onResolve({filter: /^lmdb$/}, () => ({path: requireFromRoot.resolve('lmdb')}))
    build.onLoad({filter: /[\\/]node_modules[\\/](lmdb|msgpackr)[\\/]dist[\\/][^\\/]+\.cjs$/}, (args) => {
      const name = args.path.includes(`${sep}msgpackr${sep}`) ? 'msgpackr' : 'lmdb'
      if (requireFromRoot.resolve(name) !== args.path) return undefined
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes('__filename')) throw new Error(`${args.path} no longer locates itself with __filename: review bundleNativeLoaders`)
      return {contents: `var __filename = require.resolve(${JSON.stringify(name)});\n${source}`, loader: 'js'}
    })
    const lmdb = requireFromRoot.resolve('lmdb')
    build.onResolve({filter: /^node-gyp-build-optional-packages$/}, (args) => (args.importer === lmdb ? {path: 'lmdb-addon', namespace: 'kv'} : undefined))
    build.onLoad({filter: /^lmdb-addon$/, namespace: 'kv'}, () => ({contents: lmdbAddonLoader(lmdb), resolveDir: dirname(lmdb), loader: 'js'}))
  },
}

/**
 * lmdb-js finds its native addon with node-gyp-build-optional-packages as it loads: that reads package.json
 * files, looks through build/ and prebuilds/ directories and, to tell glibc from musl, evaluates detect-libc,
 * which loads child_process (about 1.5 ms of every start). The build asks it once, here; the bundle then
 * requires that file itself when the process is one the answer holds for: the same lmdb directory, Node ABI,
 * platform and architecture, and none of the environment variables node-gyp-build reads set. Otherwise (and
 * if the file is gone) node-gyp-build looks, as it always did.
 */
function lmdbAddonLoader(lmdb) {
  // As lmdb-js computes the directory it hands node-gyp-build (dist/index.cjs).
  const dir = dirname(lmdb).replace(/dist$/, '')
  const addon = createRequire(lmdb)('node-gyp-build-optional-packages').resolve(dir)
  const found = {dir, addon, abi: process.versions.modules, platform: process.platform, arch: process.arch}
  return `const found = ${JSON.stringify(found)}
const readBy = ['LMDB_PREBUILD', 'PREBUILDS_ONLY', 'npm_config_arch', 'npm_config_platform', 'LIBC', 'ARM_VERSION']
module.exports = function loadAddon(dir) {
  const same = dir === found.dir && process.versions.modules === found.abi && process.platform === found.platform && process.arch === found.arch
  if (same && !readBy.some((name) => process.env[name]) && require('node:fs').existsSync(found.addon)) return require(found.addon)
  return require('node-gyp-build-optional-packages')(dir)
}
`
}

/**
 * kv's sources import Command, Args and Flags from '@oclif/core'. In the bundle they get them from oclif's narrower
 * entry points (the same modules, hence the same classes): oclif's index evaluates all of oclif as it loads (Config
 * and plugin loading, help, ux, and semver for its Node version check), which a command that starts on the fast path
 * (src/cli/fast-path.ts) never uses. `await import('@oclif/core')` (main.ts, when oclif runs the command) still gets
 * the index. A name this does not export fails the build: add it here.
 */
const OCLIF_FOR_SOURCES = [
  "export {Command} from '@oclif/core/command'",
  "export * as Args from '@oclif/core/args'",
  "export * as Flags from '@oclif/core/flags'",
].join('\n')

const oclifEntryPoints = {
  name: 'kv-oclif-entry-points',
  setup(build) {
    const sources = join(root, 'src') + sep
    build.onResolve({filter: /^@oclif\/core$/}, (args) =>
      args.kind === 'import-statement' && args.importer.startsWith(sources) ? {path: 'oclif-for-sources', namespace: 'kv'} : undefined,
    )
    build.onLoad({filter: /^oclif-for-sources$/, namespace: 'kv'}, () => ({contents: OCLIF_FOR_SOURCES, resolveDir: root, loader: 'js'}))
  },
}

/**
 * Modules oclif requires as it loads but uses only for what the fast path (src/cli/fast-path.ts) never does. In the
 * bundle, a require() of one of these by oclif returns a stand-in (scripts/deferred-module.cjs) that evaluates the
 * module when one of its exports is first used: the same code runs, only when it is needed. Modules oclif uses while
 * it parses stay as they are (a stand-in costs a little on every use). Matched against the path under node_modules/,
 * or a Node built-in's name.
 */
const DEFERRED = [
  // Config.load: the package, plugins and their discovery (tinyglobby), manifests, TypeScript and ESM loading.
  /^@oclif\/core\/lib\/config\/(index|ts-path)\.js$/,
  /^@oclif\/core\/lib\/module-loader\.js$/,
  // Error classes and their printing (wrap-ansi, clean-stack, the screen width): evaluated when an error is thrown.
  /^@oclif\/core\/lib\/(errors\/index|errors\/error|parser\/errors)\.js$/,
  // Help: its rendering, templates and colours. (The fast path uses normalizeArgv from help's index.)
  /^@oclif\/core\/lib\/help\/(command|root)\.js$/,
  /^(ejs|ansis|wrap-ansi|string-width|widest-line|indent-string)\//,
  // ux (spinners, colourised JSON, themes), the terminal's width (it creates process.stderr) and performance marks.
  /^@oclif\/core\/lib\/(ux\/index|ux\/theme|screen|performance)\.js$/,
  // oclif's default logger (the fast path sets one that does nothing: without DEBUG this one prints nothing).
  /^debug\//,
  // The parser reads stdin with readline only for an argument without ignoreStdin.
  /^node:(readline|fs\/promises)$/,
]

const DEFERRED_HELPER = join(root, 'scripts', 'deferred-module.cjs')

/** A file's path from its package on: what follows the last node_modules/ ('@oclif/core/lib/help/index.js'). */
function packagePath(file) {
  const parts = file.split(sep)
  return parts.slice(parts.lastIndexOf('node_modules') + 1).join('/')
}

const deferredModules = {
  name: 'kv-deferred-modules',
  setup(build) {
    const requireFromRoot = createRequire(join(root, 'package.json'))
    // Where esbuild sees oclif: Node's resolution gives the real path, as esbuild's does (node_modules may be a link).
    const oclif = dirname(requireFromRoot.resolve('@oclif/core/package.json')) + sep
    const resolving = Symbol('resolving')
    const matched = new Set()
    build.onResolve({filter: /.*/}, async (args) => {
      if (args.kind !== 'require-call' || args.namespace !== 'file' || args.pluginData === resolving || !args.importer.startsWith(oclif)) return undefined
      const resolved = await build.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: resolving})
      if (resolved.errors.length > 0) return undefined
      const name = resolved.external ? resolved.path : packagePath(resolved.path)
      const pattern = DEFERRED.find((candidate) => candidate.test(name))
      if (pattern === undefined) return undefined
      matched.add(pattern)
      // What `__esModule` reads, asked of the module itself here, so that the stand-in can answer without evaluating
      // it (__importDefault and __importStar ask as soon as it is required).
      const esModule = requireFromRoot(resolved.path).__esModule === true
      return {path: resolved.path, namespace: 'kv-deferred', pluginData: {name, esModule}}
    })
    build.onLoad({filter: /.*/, namespace: 'kv-deferred'}, ({path, pluginData: {name, esModule}}) => ({
      contents: `module.exports = require(${JSON.stringify(DEFERRED_HELPER)}).deferred(${JSON.stringify(name)}, () => require(${JSON.stringify(path)}), ${esModule})`,
      resolveDir: root,
      loader: 'js',
    }))
    // After an oclif upgrade a pattern may no longer name anything oclif requires: the fast path would quietly
    // evaluate what it names again.
    build.onEnd(() => {
      const unmatched = DEFERRED.filter((pattern) => !matched.has(pattern))
      return {errors: unmatched.map((pattern) => ({text: `DEFERRED pattern ${pattern} matched no module oclif requires: review it`}))}
    })
  },
}

/**
 * The bundle in ASCII. Node reads an ASCII file into a one-byte string in a fraction of the time UTF-8 text takes
 * (about 2 ms less on every start) and half the memory. esbuild escapes strings, templates and identifiers, but
 * leaves regular expression literals as they are: the only non-ASCII characters left (ansis has one) are there,
 * where \uXXXX means the same character, with or without the u flag, also in a character class. After an odd
 * number of backslashes (an identity escape) only the uXXXX part is added.
 */
function asciiOnly(source) {
  // One UTF-16 code unit at a time: a character outside the BMP becomes its two surrogates' escapes.
  return source.replace(/(\\*)([^\x00-\x7f])/g, (_, backslashes, unit) => {
    const escape = `u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`
    return backslashes + (backslashes.length % 2 === 1 ? escape : `\\${escape}`)
  })
}

/** oclif command ids from file names: src/commands/ns/create.ts -> "ns:create". */
function commandFiles() {
  const dir = join(root, 'src', 'commands')
  return readdirSync(dir, {recursive: true})
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => ({id: file.replace(/\.ts$/, '').split(/[\\/]/).join(':'), path: join(dir, file)}))
}

/**
 * The bundle's entry: the CLI's main, and the COMMANDS table oclif's "explicit" strategy reads. A command's module
 * is evaluated when its entry in the table is first read, so a start evaluates only the command it runs.
 */
function entrySource() {
  const loaders = commandFiles().map(({id, path}) => {
    const source = JSON.stringify('./' + relative(root, path).split('\\').join('/'))
    return `  ${JSON.stringify(id)}: () => require(${source}).default,`
  })
  return [
    `import {main as runCli} from './src/cli/main.ts'`,
    `import {evaluated} from ${JSON.stringify('./' + relative(root, DEFERRED_HELPER).split(sep).join('/'))}`,
    `const loaders = {`,
    ...loaders,
    `}`,
    `export const COMMANDS = {}`,
    `for (const [id, load] of Object.entries(loaders)) Object.defineProperty(COMMANDS, id, {enumerable: true, get: load})`,
    `export function main(argv, root) {`,
    `  return runCli(argv, root, {commands: COMMANDS, deferredModules: evaluated})`,
    `}`,
    '',
  ].join('\n')
}

async function build() {
  rmSync(join(root, 'dist'), {recursive: true, force: true})
  execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], {cwd: root, stdio: 'inherit'})
  await esbuild.build({
    stdin: {contents: entrySource(), resolveDir: root, sourcefile: 'kv-cli-entry.ts', loader: 'ts'},
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    // CommonJS, because only a script (not an ES module) can be compiled from a V8 code cache on Node 20.
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    plugins: [bundleNativeLoaders, oclifEntryPoints, deferredModules],
    define: {
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
      'import.meta.url': '__kvImportMetaUrl',
      // msgpackr (lmdb-js's msgpack codec, which kv's binary encodings do not use) tries to load the native
      // msgpackr-extract as it loads; from inside the bundle that lookup always fails (it searches the bundle's
      // directory), after evaluating node-gyp-build and detect-libc. This says what the failure already meant.
      'process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED': '"true"',
    },
    banner: {js: "const __kvImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
    legalComments: 'none',
    // A smaller file is quicker to read and check against its code cache (about 3 ms a start); names are kept
    // so stack traces under KV_DEBUG stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // The require.resolve calls bundleNativeLoaders adds are meant to run at start-up, from dist/.
    logOverride: {'require-resolve-not-external': 'silent'},
  })
  writeFileSync(BUNDLE, asciiOnly(readFileSync(BUNDLE, 'utf8')))
  execFileSync(bin('oclif'), ['manifest'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  // Shell completion scripts, from the fresh manifest (tsc compiled their writer; the bundle never loads it).
  const {writeCompletionScripts} = await import(pathToFileURL(join(root, 'dist', 'cli', 'completion', 'generate.js')).href)
  writeCompletionScripts(root)
  writeCodeCache()
}

/**
 * bin/run.js writes the code cache when it finds none (or V8 rejects it): run the commands users run most
 * once each, so the cache holds the functions they compile too, not only the bundle's top level. Only those on
 * the fast path: caching what help or oclif's Config.load compile too would double the cache, and reading it
 * would cost every start about 8 ms.
 */
function writeCodeCache() {
  const dataDir = mkdtempSync(join(tmpdir(), 'kv-build-'))
  const env = {...process.env, KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: dataDir, KV_NAMESPACE: undefined, KV_CODE_CACHE: 'write'}
  try {
    const run = (...args) => execFileSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {env, stdio: 'ignore'})
    run('put', 'warm-up', 'value', '--expires-in', '1h')
    run('get', 'warm-up')
    run('list', '--prefix', 'warm')
    run('incr', 'warm-up:count')
    run('delete', 'warm-up:count')
  } finally {
    rmSync(dataDir, {recursive: true, force: true})
  }
  if (!existsSync(`${BUNDLE}.cache`)) throw new Error('bin/run.js did not write the code cache')
}

await build()
