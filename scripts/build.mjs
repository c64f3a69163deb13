#!/usr/bin/env node
// `npm run build`: the library (tsc -> dist/), then the CLI as one bundled file (esbuild -> dist/kv.js),
// then oclif.manifest.json. Bundling spares Node hundreds of module resolutions on every start; every
// command under src/commands/ is picked up here, so adding one needs no change to the build.
import {execFileSync} from 'node:child_process'
import {readdirSync, rmSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import * as esbuild from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

/** Modules that stay out of the bundle: native code (lmdb finds its binary next to its own files), the heavy
 * modules commands import lazily (they must not be evaluated at start-up), and loaders oclif only uses in
 * development. */
const EXTERNAL = ['lmdb', '@inquirer/prompts', 'cli-table3', 'cli-progress', 'conf', 'typescript', 'ts-node', 'tsx']

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
    outfile: join(root, 'dist', 'kv.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS (oclif) calls require(); give it one that resolves from dist/.
    banner: {js: "import {createRequire as __kvCreateRequire} from 'node:module'; const require = __kvCreateRequire(import.meta.url);"},
    legalComments: 'none',
    logLevel: 'warning',
  })
  execFileSync(bin('oclif'), ['manifest'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
}

await build()
