import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

import {childEnv, collect, tempDir, type KvResult} from '../helpers.js'

// The package as an app gets it: `npm pack`, the tarball installed into a scratch app (from the local npm
// cache where it can be), every entry point imported as ESM and type-checked, a get and a put.

const ROOT = resolve(import.meta.dirname, '..', '..')
const {name: NAME, version: VERSION} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
/** What the adapters' apps install beside the package, at the versions kv is tested with. */
const PEERS = ['keyv', 'express-session', '@types/express-session', '@types/node', '@cloudflare/workers-types']
/** Packages only adapters use: an app that uses none of them must get none of them. */
const ADAPTER_ONLY = ['keyv', 'express-session', 'express', '@cloudflare/workers-types']

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {version: string}).version
}

/**
 * Runs a program in `cwd` to its end; it must succeed. Without the npm_* variables of an `npm test` around this
 * run: they describe this project (its prefix), not the app.
 */
async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<KvResult> {
  const clean = childEnv(env)
  for (const name of Object.keys(clean)) if (name.startsWith('npm_')) delete clean[name]
  const result = await collect(command, args, clean, undefined, cwd)
  expect(result.code, `${command} ${args.join(' ')} failed:\n${result.stderr}\n${result.text}`).toBe(0)
  return result
}

const MAIN = `
import {openNamespace, isKvError} from '${NAME}'
const ns = await openNamespace('default', {dataDir: process.argv[2], create: true})
await ns.put('greeting', 'hello', {expiresIn: 3600})
console.log(JSON.stringify({value: await ns.get('greeting'), keys: await ns.list(), kvError: typeof isKvError}))
await ns.close()
`

const ADAPTERS = `
import {openKVNamespace} from '${NAME}/workers'
import {KeyvStore} from '${NAME}/keyv'
import {KvSessionStore} from '${NAME}/express-session'
import Keyv from 'keyv'
import {createRequire} from 'node:module'

const dataDir = process.argv[2]
const kv = await openKVNamespace('workers', {dataDir, create: true})
await kv.put('k', 'v', {expirationTtl: 60, metadata: {by: 'workers'}})
const workers = await kv.getWithMetadata('k')
await kv.close()

const store = new KeyvStore('cache', {dataDir})
const keyv = new Keyv({store})
await keyv.set('k', {n: 1}, 60_000)
const cached = await keyv.get('k')
await keyv.disconnect()

const sessions = new KvSessionStore({namespace: 'sessions', dataDir})
const ask = (call) => new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value))))
await ask((done) => sessions.set('sid', {cookie: {originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000)}, user: 'ana'}, done))
const session = await ask((done) => sessions.get('sid', done))
await sessions.close()

const {version} = createRequire(import.meta.url)('${NAME}/package.json')
console.log(JSON.stringify({workers, cached, user: session.user, version}))
`

const TYPES = `
import {openNamespace, type Namespace} from '${NAME}'
import {openKVNamespace, type KVNamespace, type WorkersKVNamespace} from '${NAME}/workers'
import {KeyvStore} from '${NAME}/keyv'
import {KvSessionStore} from '${NAME}/express-session'
import type {KeyvStoreAdapter} from 'keyv'
import type {Store} from 'express-session'

export async function typed(): Promise<void> {
  const ns: Namespace = await openNamespace('default', {create: true})
  const written: boolean = await ns.put('k', 'v', {expiresIn: 60})
  const kv: WorkersKVNamespace = await openKVNamespace('default')
  const binding: KVNamespace = kv
  const json = await binding.get<{n: number}>('k', 'json')
  const adapter: KeyvStoreAdapter = new KeyvStore('cache', {store: 'redis://localhost:6379'})
  const store: Store = new KvSessionStore({namespace: 'sessions', ttl: 3600})
  void [written, json?.n, adapter, store]
}
`

const TSCONFIG = {
  compilerOptions: {target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node']},
  files: ['types.ts'],
}

describe(`the npm package (${NAME})`, () => {
  it('installs from its tarball into an app, which imports every entry point (ESM and types) and gets what it put', {timeout: 600_000}, async () => {
    const work = tempDir('kv-package-')
    // dist/ is what `npm test` built a moment ago; building again would change it under the other tests.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)
    const [{filename}] = JSON.parse(packed.text) as [{filename: string}]
    const app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'scratch-app', private: true, type: 'module'}))
    const npmInstall = ['install', '--prefer-offline', '--no-audit', '--no-fund']
    await run('npm', [...npmInstall, join(work, filename)], app)

    // The package alone: no adapter's ecosystem came with it, and the library and the CLI work without it.
    for (const name of ADAPTER_ONLY) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false)
    const dataDir = join(work, 'data')
    writeFileSync(join(app, 'main.mjs'), MAIN)
    const main = await run(process.execPath, ['main.mjs', dataDir], app)
    expect(JSON.parse(main.text)).toEqual({value: 'hello', keys: ['greeting'], kvError: 'function'})
    const kv = join(app, 'node_modules', '.bin', 'kv')
    await run(kv, ['put', 'from-cli', 'yes'], app, {KV_DATA_DIR: dataDir})
    expect((await run(kv, ['get', 'greeting'], app, {KV_DATA_DIR: dataDir})).text).toBe('hello')

    // The adapters, once an app installs what they plug into.
    await run('npm', [...npmInstall, ...PEERS.map((name) => `${name}@${installedVersion(name)}`)], app)
    writeFileSync(join(app, 'adapters.mjs'), ADAPTERS)
    const adapters = await run(process.execPath, ['adapters.mjs', dataDir], app)
    expect(JSON.parse(adapters.text)).toEqual({
      workers: {value: 'v', metadata: {by: 'workers'}, cacheStatus: null},
      cached: {n: 1},
      user: 'ana',
      version: VERSION,
    })
    writeFileSync(join(app, 'types.ts'), TYPES)
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG))
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app)
  })
})
