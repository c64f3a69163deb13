#!/usr/bin/env node
// `npm run build`: the library (tsc -> dist/), then the CLI as one bundled CommonJS file (esbuild ->
// dist/kv.cjs) with its V8 code cache (dist/kv.cjs.cache), then oclif.manifest.json and the shell completion
// scripts (dist/completion/). Bundling spares Node hundreds of module resolutions on every start and the code
// cache spares it compiling the bundle (see bin/run.js). Every command under src/commands/ is picked up here,
// so adding one needs no build change.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join, relative, resolve, sep} from 'node:path'
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
  },
}

/** oclif command ids from file names: src/commands/ns/create.ts -> "ns:create". */
function commandFiles() {
  const dir = join(root, 'src', 'commands')
  return readdirSync(dir, {recursive: true})
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => ({id: file.replace(/\.ts$/, '').split(/[\\/]/).join(':'), path: join(dir, file)}))
}

/** The bundle's entry: the CLI's main plus the COMMANDS table oclif's "explicit" strategy reads. */
function entrySource() {
  const commands = commandFiles()
  const imports = commands.map(({path}, i) => `import command${i} from ${JSON.stringify('./' + relative(root, path).split('\\').join('/'))}`)
  const table = commands.map(({id}, i) => `  ${JSON.stringify(id)}: command${i},`)
  return [`export {main} from './src/cli/main.ts'`, ...imports, `export const COMMANDS = {`, ...table, `}`, ''].join('\n')
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
    plugins: [bundleNativeLoaders],
    define: {'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', 'import.meta.url': '__kvImportMetaUrl'},
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
  execFileSync(bin('oclif'), ['manifest'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  // Shell completion scripts, from the fresh manifest (tsc compiled their writer; the bundle never loads it).
  const {writeCompletionScripts} = await import(pathToFileURL(join(root, 'dist', 'cli', 'completion', 'generate.js')).href)
  writeCompletionScripts(root)
  writeCodeCache()
}

/**
 * bin/run.js writes the code cache when it finds none (or V8 rejects it): run the commands users run most
 * once each, so the cache holds the functions they compile too, not only the bundle's top level.
 */
function writeCodeCache() {
  const dataDir = mkdtempSync(join(tmpdir(), 'kv-build-'))
  const env = {...process.env, KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: dataDir, KV_NAMESPACE: undefined, KV_CODE_CACHE: 'write'}
  try {
    const run = (...args) => execFileSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {env, stdio: 'ignore'})
    run('put', 'warm-up', 'value', '--expires-in', '1h')
    run('get', 'warm-up')
    run('list', '--prefix', 'warm')
  } finally {
    rmSync(dataDir, {recursive: true, force: true})
  }
  if (!existsSync(`${BUNDLE}.cache`)) throw new Error('bin/run.js did not write the code cache')
}

await build()
