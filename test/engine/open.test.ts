import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {createNamespace, namespaceExists, openNamespace} from '../../src/index.js'
import {manualClock, tempDir} from '../helpers.js'
import {close, expectKvError, open} from '../contract/fixture.js'

/** Every path under `dir`, relative to it, directories marked with a trailing slash. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return []
  const paths: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true, recursive: true})) {
    const path = relative(dir, join(entry.parentPath, entry.name))
    paths.push(entry.isDirectory() ? `${path}/` : path)
  }
  return paths.sort()
}

const INVALID_NAMES = ['..', '.', 'a/b', '.x', '', 'A', 'Abc', 'a\u0000b', 'x'.repeat(65), '/etc', '../x', 'a\\b', 'ａ', '-a', '_a', 'a b', 'é', 'a:b']

describe('opening a namespace', () => {
  it('a missing namespace without create fails with NAMESPACE_NOT_FOUND and creates nothing', async () => {
    const dataDir = tempDir()
    const error = await expectKvError(openNamespace('missing', {dataDir}), 'NAMESPACE_NOT_FOUND')
    expect(error.message).toContain('missing')
    await expectKvError(openNamespace('missing', {dataDir, create: false}), 'NAMESPACE_NOT_FOUND')
    expect(tree(dataDir)).toEqual([])
    expect(await namespaceExists('missing', {dataDir})).toBe(false)
  })

  it('a missing namespace in a data dir that does not exist creates no directory at all', async () => {
    const dataDir = join(tempDir(), 'not', 'yet')
    await expectKvError(openNamespace('missing', {dataDir}), 'NAMESPACE_NOT_FOUND')
    expect(existsSync(join(dataDir, '..'))).toBe(false)
  })

  it('create: true creates the namespace, and data persists across reopening', async () => {
    const dataDir = tempDir()
    const ns = await open('app', {dataDir, create: true})
    expect(ns.name).toBe('app')
    expect(await namespaceExists('app', {dataDir})).toBe(true)
    await ns.put('k', 'v')
    await close(ns)
    const again = await open('app', {dataDir})
    expect(await again.get('k')).toBe('v')
  })

  it('create: true on an existing namespace opens it with its data', async () => {
    const dataDir = tempDir()
    const ns = await open('app', {dataDir, create: true})
    await ns.put('k', 'v')
    await close(ns)
    const again = await open('app', {dataDir, create: true})
    expect(await again.get('k')).toBe('v')
  })

  it('createNamespace creates an empty namespace that can then be opened without create', async () => {
    const dataDir = tempDir()
    expect(await namespaceExists('made', {dataDir})).toBe(false)
    await createNamespace('made', {dataDir})
    expect(await namespaceExists('made', {dataDir})).toBe(true)
    const ns = await open('made', {dataDir})
    expect(await ns.list()).toEqual([])
  })

  it('createNamespace twice fails with NAMESPACE_EXISTS and keeps the data', async () => {
    const dataDir = tempDir()
    await createNamespace('twice', {dataDir})
    const ns = await open('twice', {dataDir})
    await ns.put('k', 'v')
    const error = await expectKvError(createNamespace('twice', {dataDir}), 'NAMESPACE_EXISTS')
    expect(error.message).toContain('twice')
    expect(await ns.get('k')).toBe('v')
    await close(ns)
    const again = await open('twice', {dataDir})
    expect(await again.get('k')).toBe('v')
  })

  it('createNamespace of a namespace opened with create: true fails with NAMESPACE_EXISTS', async () => {
    const dataDir = tempDir()
    await open('opened', {dataDir, create: true})
    await expectKvError(createNamespace('opened', {dataDir}), 'NAMESPACE_EXISTS')
  })

  it('leaves no temporary directories behind', async () => {
    const dataDir = tempDir()
    await createNamespace('one', {dataDir})
    await open('two', {dataDir, create: true})
    await expectKvError(createNamespace('one', {dataDir}), 'NAMESPACE_EXISTS')
    const topLevel = tree(dataDir).filter((path) => path.split('/').filter(Boolean).length <= 2)
    expect(topLevel).toEqual(['namespaces/', 'namespaces/one/', 'namespaces/two/'])
  })

  it('two concurrent opens with create: true of the same new namespace both succeed and share the data', async () => {
    const dataDir = tempDir()
    const [a, b] = await Promise.all([open('race', {dataDir, create: true}), open('race', {dataDir, create: true})])
    await a.put('from-a', '1')
    await b.put('from-b', '2')
    expect(await a.list()).toEqual(['from-a', 'from-b'])
    expect(await b.get('from-a')).toBe('1')
    expect(tree(join(dataDir, 'namespaces')).filter((path) => !path.includes('/') || path.endsWith('/'))).toEqual(['race/'])
  })

  it('closing one of two open handles to a namespace leaves the other working', async () => {
    const dataDir = tempDir()
    const a = await open('shared', {dataDir, create: true})
    const b = await open('shared', {dataDir})
    await a.put('k', '1')
    await close(a)
    expect(await b.get('k')).toBe('1')
    await b.put('k', '2')
    expect(await b.get('k')).toBe('2')
    await close(b)
    const c = await open('shared', {dataDir})
    expect(await c.get('k')).toBe('2')
  })

  it('two concurrent createNamespace calls: exactly one succeeds, the other fails with NAMESPACE_EXISTS', async () => {
    const dataDir = tempDir()
    const results = await Promise.allSettled([createNamespace('race', {dataDir}), createNamespace('race', {dataDir})])
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toMatchObject({code: 'NAMESPACE_EXISTS'})
  })
})

describe('namespace names', () => {
  it.each(INVALID_NAMES)('rejects %j with NAMESPACE_NAME_INVALID everywhere, creating nothing', async (name) => {
    const dataDir = tempDir()
    await expectKvError(openNamespace(name, {dataDir, create: true}), 'NAMESPACE_NAME_INVALID')
    await expectKvError(openNamespace(name, {dataDir}), 'NAMESPACE_NAME_INVALID')
    await expectKvError(createNamespace(name, {dataDir}), 'NAMESPACE_NAME_INVALID')
    await expectKvError(namespaceExists(name, {dataDir}), 'NAMESPACE_NAME_INVALID')
    expect(tree(dataDir)).toEqual([])
  })

  it('rejects names that are not strings with NAMESPACE_NAME_INVALID', async () => {
    const dataDir = tempDir()
    for (const name of [undefined, null, 42, {}]) {
      await expectKvError(openNamespace(name as never, {dataDir, create: true}), 'NAMESPACE_NAME_INVALID')
    }
    expect(tree(dataDir)).toEqual([])
  })

  it.each(['a'.repeat(64), 'a', '0', 'my-app_v1.2', 'cache..2', '9-lives'])('accepts %j', async (name) => {
    const dataDir = tempDir()
    const ns = await open(name, {dataDir, create: true})
    await ns.put('k', 'v')
    expect(await ns.get('k')).toBe('v')
    expect(tree(join(dataDir, 'namespaces')).filter((path) => /^[^/]+\/$/.test(path))).toEqual([`${name}/`])
  })
})

describe('isolation', () => {
  it('two namespaces in one data dir do not see each other', async () => {
    const dataDir = tempDir()
    const clock = manualClock()
    const users = await open('users', {dataDir, create: true, clock})
    // Without history, so that an expired key is reclaimed at once (the history would keep it).
    const cache = await open('cache', {dataDir, create: true, clock, history: false})
    await users.put('shared-key', 'users value')
    await cache.put('shared-key', 'cache value', {expiresIn: 10})
    await users.put('only-users', 'u')

    expect(await users.get('shared-key')).toBe('users value')
    expect(await cache.get('shared-key')).toBe('cache value')
    expect(await cache.get('only-users')).toBeNull()
    expect(await users.list()).toEqual(['only-users', 'shared-key'])
    expect(await cache.list()).toEqual(['shared-key'])

    clock.advance(10_000)
    expect(await cache.get('shared-key')).toBeNull()
    expect(await users.get('shared-key')).toBe('users value')
    expect(await cache.purgeExpired()).toBe(1)

    await users.delete('shared-key')
    expect(await users.list()).toEqual(['only-users'])
    await cache.put('shared-key', 'again')
    expect(await users.get('shared-key')).toBeNull()
  })

  it('the same name in two data dirs is two namespaces', async () => {
    const first = await open('app', {dataDir: tempDir(), create: true})
    const second = await open('app', {dataDir: tempDir(), create: true})
    await first.put('k', '1')
    expect(await second.get('k')).toBeNull()
  })
})

describe('file permissions', () => {
  let savedUmask: number | undefined

  afterEach(() => {
    if (savedUmask !== undefined) process.umask(savedUmask)
    savedUmask = undefined
  })

  /** Every file under `from` is 0600 and every directory 0700. */
  function expectPrivate(from: string) {
    const paths = tree(from)
    expect(paths.length).toBeGreaterThan(0)
    const modes = Object.fromEntries(paths.map((path) => [path, (statSync(join(from, path)).mode & 0o777).toString(8)]))
    const expected = Object.fromEntries(paths.map((path) => [path, path.endsWith('/') ? '700' : '600']))
    expect(modes).toEqual(expected)
  }

  it('files are 0600 and directories 0700 even under umask 000 (openNamespace with create)', async () => {
    savedUmask = process.umask(0o000)
    const base = tempDir()
    const dataDir = join(base, 'nested', 'data')
    const ns = await open('private', {dataDir, create: true})
    await ns.put('secret', 'v'.repeat(100_000))
    await close(ns)
    const again = await open('private', {dataDir})
    await again.put('more', 'v')
    await close(again)
    // Every directory the namespace needed, from the first one that did not exist down.
    expectPrivate(join(base, 'nested'))
    expect(tree(join(dataDir, 'namespaces', 'private')).some((path) => !path.endsWith('/'))).toBe(true)
  })

  it('files are 0600 and directories 0700 even under umask 000 (createNamespace)', async () => {
    savedUmask = process.umask(0o000)
    const dataDir = tempDir()
    await createNamespace('made', {dataDir})
    const ns = await open('made', {dataDir})
    await ns.put('k', 'v')
    await close(ns)
    expectPrivate(dataDir)
  })
})
