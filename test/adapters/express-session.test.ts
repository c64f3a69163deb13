import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import type {Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join, resolve} from 'node:path'
import {createInterface} from 'node:readline'
import {pathToFileURL} from 'node:url'

import type {SessionData} from 'express-session'
import {afterEach, describe, expect, it} from 'vitest'

import {KvSessionStore, type KvSessionStoreOptions} from '../../src/adapters/express-session.js'
import {openNamespace, type LocationOptions} from '../../src/index.js'
import {childEnv, manualClock} from '../helpers.js'
import {freshLocation} from '../store-under-test.js'
import {sessionApp} from './session-app.mjs'

// KvSessionStore (src/adapters/express-session.ts) on the store under test, behind a real express app over
// real HTTP: in this process where a test moves the store's clock, in app processes of their own
// (children/session-server.mjs, on the built adapter in dist/) for restarts and for two processes at once.

const ROOT = resolve(import.meta.dirname, '..', '..')
const BUILT_ADAPTER = pathToFileURL(join(ROOT, 'dist', 'adapters', 'express-session.js')).href
const SERVER = join(import.meta.dirname, 'children', 'session-server.mjs')
const MINUTE = 60_000

const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A store on `location`, closed after the test. */
function sessionStore(options: KvSessionStoreOptions): KvSessionStore {
  const store = new KvSessionStore(options)
  cleanups.push(() => store.close())
  return store
}

/** The test app in this process, listening on a port of its own: its base URL. */
async function serveHere(store: KvSessionStore, maxAge?: number): Promise<string> {
  const server: Server = sessionApp(store, {maxAge}).listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** An app process on the namespace "sessions" at `location`: its base URL and the process. */
async function startApp(location: LocationOptions, maxAge = 10 * MINUTE): Promise<{url: string; child: ChildProcess}> {
  const child = spawn(process.execPath, [SERVER, BUILT_ADAPTER, JSON.stringify(location), String(maxAge)], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  cleanups.push(() => stop(child))
  const [line] = (await once(createInterface({input: child.stdout!}), 'line')) as [string]
  const {port} = JSON.parse(line) as {port: number}
  return {url: `http://127.0.0.1:${port}`, child}
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

interface Reply {
  status: number
  body: {user?: string; visits?: number; pid?: number}
  /** The session cookie the response set, as a Cookie header sends it back. */
  cookie: string | undefined
}

/** One request, as a browser makes it: the cookie it holds, and the one the response sets. */
async function call(base: string, method: 'GET' | 'POST', path: string, cookie?: string): Promise<Reply> {
  const response = await fetch(base + path, {method, headers: cookie === undefined ? {} : {cookie}})
  const set = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .find((pair) => pair.startsWith('connect.sid='))
  return {status: response.status, body: (await response.json()) as Reply['body'], cookie: set}
}

async function login(base: string, user: string): Promise<string> {
  const reply = await call(base, 'POST', `/login?user=${user}`)
  expect(reply.status).toBe(200)
  expect(reply.cookie).toBeDefined()
  return reply.cookie!
}

/** The store's callback API as promises. */
function ask<T>(method: (callback: (error: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolvePromise, reject) => method((error, value) => (error ? reject(error) : resolvePromise(value))))
}

/** A session as express-session hands one to a store: a cookie with maxAge (or none) and data. */
function sessionData(maxAge: number | null, data: Record<string, unknown> = {}): SessionData {
  const expires = maxAge === null ? null : new Date(Date.now() + maxAge)
  return {cookie: {originalMaxAge: maxAge, expires, httpOnly: true, path: '/'}, ...data} as SessionData
}

describe('KvSessionStore (./express-session) behind a real express app', () => {
  it('keeps a login across a restart of the app process (killed, then started again)', async () => {
    const location = freshLocation()
    const first = await startApp(location)
    const cookie = await login(first.url, 'ana')
    expect((await call(first.url, 'GET', '/me', cookie)).body).toMatchObject({user: 'ana', pid: first.child.pid})
    await stop(first.child)

    const second = await startApp(location)
    const me = await call(second.url, 'GET', '/me', cookie)
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({user: 'ana', pid: second.child.pid})
  })

  it('shares sessions between two app processes on one namespace', async () => {
    const location = freshLocation()
    const [a, b] = await Promise.all([startApp(location), startApp(location)])
    const cookie = await login(a.url, 'bo')
    expect((await call(b.url, 'GET', '/me', cookie)).body).toMatchObject({user: 'bo', visits: 0, pid: b.child.pid})
    await call(b.url, 'POST', '/visit', cookie)
    await call(a.url, 'POST', '/visit', cookie)
    expect((await call(b.url, 'GET', '/me', cookie)).body).toMatchObject({user: 'bo', visits: 2})
    expect((await call(b.url, 'POST', '/logout', cookie)).status).toBe(200)
    expect((await call(a.url, 'GET', '/me', cookie)).status).toBe(401)
  })

  it('logs out on destroy: the session is gone from the namespace', async () => {
    const location = freshLocation()
    const store = sessionStore({...location, namespace: 'sessions'})
    const base = await serveHere(store, 10 * MINUTE)
    const cookie = await login(base, 'cy')
    expect(await ask<number>((done) => store.length(done))).toBe(1)
    expect((await call(base, 'POST', '/logout', cookie)).body).toEqual({loggedOut: true})
    expect((await call(base, 'GET', '/me', cookie)).status).toBe(401)
    expect(await ask<number>((done) => store.length(done))).toBe(0)
  })

  it('expires a session when its cookie does, each request extending it by the cookie\'s maxAge', async () => {
    const location = freshLocation()
    const clock = manualClock(Date.now())
    const store = sessionStore({...location, namespace: 'sessions', clock})
    const base = await serveHere(store, MINUTE)
    const cookie = await login(base, 'di')

    // The key expires with the cookie: a minute from the login.
    const ns = await openNamespace('sessions', {...location, clock})
    cleanups.push(() => ns.close())
    const [{name, expiresAt}] = (await ns.listPage({prefix: 'sess:'})).keys
    expect(expiresAt! - clock()).toBeGreaterThan(MINUTE - 1000)
    expect(expiresAt! - clock()).toBeLessThanOrEqual(MINUTE)

    clock.advance(40_000)
    expect((await call(base, 'GET', '/me', cookie)).status).toBe(200) // touched: a minute from now
    clock.advance(40_000)
    expect((await call(base, 'GET', '/me', cookie)).body).toMatchObject({user: 'di'})
    clock.advance(MINUTE + 1)
    expect((await call(base, 'GET', '/me', cookie)).status).toBe(401)
    expect(await ask<number>((done) => store.length(done))).toBe(0)
    expect(await ns.get(name)).toBeNull()
  })
})

describe('KvSessionStore (./express-session), its Store API', () => {
  it('sets, gets, touches, lists, counts and clears sessions under its prefix only', async () => {
    const location = freshLocation()
    const clock = manualClock(Date.now())
    const store = sessionStore({...location, namespace: 'app', prefix: 'session:', clock})
    const other = await openNamespace('app', {...location, create: true})
    cleanups.push(() => other.close())
    await other.put('flag:beta', 'on')

    await ask((done) => store.set('a', sessionData(MINUTE, {user: 'ana'}), done))
    await ask((done) => store.set('b', sessionData(2 * MINUTE, {user: 'bo'}), done))
    expect(await ask<SessionData | null>((done) => store.get('a', done))).toMatchObject({user: 'ana', cookie: {originalMaxAge: MINUTE}})
    expect(await ask((done) => store.get('missing', done))).toBeNull()
    const all = await ask<(SessionData & {id: string})[]>((done) => store.all(done))
    expect(all!.map(({id, user}: SessionData & {id: string; user?: string}) => [id, user])).toEqual([
      ['a', 'ana'],
      ['b', 'bo'],
    ])
    expect(await ask<number>((done) => store.length(done))).toBe(2)

    // A touch gives the stored session the new cookie, and keeps its data.
    await ask((done) => store.touch('a', sessionData(3 * MINUTE, {user: 'ignored'}), done))
    expect(await ask<SessionData | null>((done) => store.get('a', done))).toMatchObject({user: 'ana', cookie: {originalMaxAge: 3 * MINUTE}})
    clock.advance(2 * MINUTE)
    expect(await ask((done) => store.get('b', done))).toBeNull()
    expect(await ask<SessionData | null>((done) => store.get('a', done))).toMatchObject({user: 'ana'})

    await ask((done) => store.clear(done))
    expect(await ask<number>((done) => store.length(done))).toBe(0)
    expect(await other.get('flag:beta')).toBe('on')
  })

  it('gives a cookie without maxAge the ttl option, removes a session whose cookie has expired, and never revives a destroyed one', async () => {
    const location = freshLocation()
    const clock = manualClock(Date.now())
    const store = sessionStore({...location, ttl: 90, clock})
    await ask((done) => store.set('browser', sessionData(null, {user: 'ana'}), done))
    const ns = await openNamespace('default', location)
    cleanups.push(() => ns.close())
    expect((await ns.getEntry('sess:browser'))?.expiresAt).toBe(clock() + 90_000)

    await ask((done) => store.set('stale', sessionData(-1000), done))
    expect(await ask((done) => store.get('stale', done))).toBeNull()

    await ask((done) => store.destroy('browser', done))
    await ask((done) => store.touch('browser', sessionData(MINUTE), done))
    expect(await ask((done) => store.get('browser', done))).toBeNull()
    expect(() => new KvSessionStore({ttl: 0})).toThrow(expect.objectContaining({code: 'TTL_INVALID'}))
  })

  it('hands an error to the callback: a namespace that may not be created', async () => {
    const store = sessionStore({...freshLocation(), namespace: 'absent', create: false})
    await expect(ask((done) => store.get('a', done))).rejects.toMatchObject({code: 'NAMESPACE_NOT_FOUND'})
  })
})
