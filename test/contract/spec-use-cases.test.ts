/**
 * The code samples of /work/shared/spec/kv-binding.md, run as written against a real namespace.
 * Where the spec waits for time to pass, the test advances the namespace's clock instead.
 * Lines the tests add to a sample are marked "// (test)".
 */
import {afterEach, describe, expect, it} from 'vitest'

import {openNamespace, type Namespace} from '../../src/index.js'
import {manualClock} from '../helpers.js'
import {freshLocation} from '../store-under-test.js'

interface FetchEvent {
  request: Request
  respondWith(response: Response): void
}
type FetchHandler = (event: FetchEvent) => Promise<void> | void

const opened: Namespace[] = []

afterEach(async () => {
  for (const ns of opened.splice(0)) await ns.close()
})

/** A worker runtime of the smallest kind: one fetch handler, and a way to send it requests. */
async function setUp() {
  const clock = manualClock()
  const env = {KV: await openNamespace('app', {...freshLocation(), create: true, clock})}
  opened.push(env.KV)

  let handler: FetchHandler | undefined
  function addEventListener(type: 'fetch', listener: FetchHandler) {
    expect(type).toBe('fetch')
    handler = listener
  }
  /** Sends a request through the handler; resolves to its response and body (undefined when it sent none). */
  async function request(headers: Record<string, string> = {}) {
    let response: Response | undefined
    await handler!({request: new Request('https://example.test/', {headers}), respondWith: (r) => (response = r)})
    return response && {status: response.status, body: await response.text()}
  }
  return {env, clock, addEventListener, request}
}

describe('spec: Usage', () => {
  it('responds with the value of user:123, or 404 when it is missing', async () => {
    const {env, addEventListener, request} = await setUp()

    addEventListener('fetch', async (event) => {
      // Read a value
      const value = await env.KV.get('user:123');

      if (!value) {
        event.respondWith(new Response('Not found', { status: 404 }));
        return;
      }

      event.respondWith(new Response(value));
    });

    expect(await request()).toEqual({status: 404, body: 'Not found'})
    await env.KV.put('user:123', 'Ada')
    expect(await request()).toEqual({status: 200, body: 'Ada'})
  })
})

describe('spec: Operations', () => {
  it('get, put (with and without expiresIn), delete and list run as written', async () => {
    const {env, clock} = await setUp()
    const logged: string[] = []
    const console = {log: (line: string) => logged.push(line)}

    {
      const value = await env.KV.get('session:abc123');

      if (value === null) {
        console.log('Key not found');
      }
    }
    expect(logged).toEqual(['Key not found'])

    // Simple put
    await env.KV.put('user:123', JSON.stringify({ name: 'John', role: 'admin' }));

    // With expiration (TTL in seconds)
    await env.KV.put('session:abc', 'data', { expiresIn: 3600 }); // Expires in 1 hour

    expect(JSON.parse((await env.KV.get('user:123'))!)).toEqual({name: 'John', role: 'admin'})
    expect(await env.KV.get('session:abc')).toBe('data')

    await env.KV.put('session:expired', 'old')
    await env.KV.delete('session:expired');
    expect(await env.KV.get('session:expired')).toBeNull()

    for (let i = 0; i < 12; i++) await env.KV.put(`item:${String(i).padStart(2, '0')}`, String(i)) // (test)

    // List all keys
    const keys = await env.KV.list();

    // With prefix filter
    const userKeys = await env.KV.list({ prefix: 'user:' });

    // With limit
    const firstTen = await env.KV.list({ limit: 10 });

    expect(keys).toHaveLength(14)
    expect(keys.slice(0, 2)).toEqual(['item:00', 'item:01'])
    expect(keys.slice(-2)).toEqual(['session:abc', 'user:123'])
    expect(userKeys).toEqual(['user:123'])
    expect(firstTen).toEqual(Array.from({length: 10}, (_, i) => `item:0${i}`))

    clock.advance(3600 * 1000) // Expires in 1 hour
    expect(await env.KV.get('session:abc')).toBeNull()
    expect(await env.KV.list({ prefix: 'session:' })).toEqual([])
  })

  it('updating a key without expiresIn removes any existing expiration', async () => {
    const {env, clock} = await setUp()
    await env.KV.put('session:abc', 'data', { expiresIn: 3600 });
    await env.KV.put('session:abc', 'data');
    clock.advance(2 * 3600 * 1000)
    expect(await env.KV.get('session:abc')).toBe('data')
  })
})

describe('spec: Session storage with expiration', () => {
  async function sessionWorker() {
    const setup = await setUp()
    const {env, addEventListener} = setup

    addEventListener('fetch', async (event) => {
      const sessionId = event.request.headers.get('Cookie')?.match(/session=(\w+)/)?.[1];

      if (!sessionId) {
        event.respondWith(new Response('Unauthorized', { status: 401 }));
        return;
      }

      const session = await env.KV.get(`session:${sessionId}`);

      if (!session) {
        event.respondWith(new Response('Session expired', { status: 401 }));
        return;
      }

      // Refresh session TTL on activity
      await env.KV.put(`session:${sessionId}`, session, { expiresIn: 1800 });

      // Session valid, continue...
      event.respondWith(new Response(`Hello ${JSON.parse(session).user}`)); // (test)
    });

    return setup
  }

  it('rejects requests without a session cookie or with an unknown session', async () => {
    const {request} = await sessionWorker()
    expect(await request()).toEqual({status: 401, body: 'Unauthorized'})
    expect(await request({Cookie: 'theme=dark'})).toEqual({status: 401, body: 'Unauthorized'})
    expect(await request({Cookie: 'session=nope'})).toEqual({status: 401, body: 'Session expired'})
  })

  it('activity refreshes the TTL; 30 minutes without activity expires the session', async () => {
    const {env, clock, request} = await sessionWorker()
    const cookie = {Cookie: 'theme=dark; session=abc123'}
    // Log-in stores the session for 30 minutes.
    await env.KV.put('session:abc123', JSON.stringify({user: 'ada'}), {expiresIn: 1800})

    clock.advance(1000 * 1000)
    expect(await request(cookie)).toEqual({status: 200, body: 'Hello ada'})
    const refreshedAt = clock()

    // Past the log-in's 30 minutes: still valid, because the request above refreshed it.
    clock.advance(1799 * 1000)
    expect(clock()).toBeGreaterThan(Date.UTC(2026, 0, 1) + 1800 * 1000)
    expect((await env.KV.listPage({prefix: 'session:'})).keys).toEqual([{name: 'session:abc123', expiresAt: refreshedAt + 1800 * 1000, metadata: null, revision: 2}])
    expect(await request(cookie)).toEqual({status: 200, body: 'Hello ada'})

    // 30 minutes of inactivity, to the millisecond.
    clock.advance(1800 * 1000 - 1)
    expect(await request(cookie)).toEqual({status: 200, body: 'Hello ada'})
    clock.advance(1800 * 1000)
    expect(await request(cookie)).toEqual({status: 401, body: 'Session expired'})
    expect(await env.KV.get('session:abc123')).toBeNull()
  })

  it('the refresh keeps the session data unchanged', async () => {
    const {env, request} = await sessionWorker()
    const data = JSON.stringify({user: 'ada', roles: ['admin'], note: 'é 日本'})
    await env.KV.put('session:xyz', data, {expiresIn: 1800})
    expect((await request({Cookie: 'session=xyz'}))?.status).toBe(200)
    expect(await env.KV.get('session:xyz')).toBe(data)
  })
})

describe('spec: Feature flags', () => {
  async function readFlags(env: {KV: Namespace}) {
    let showNewCheckout = false // (test)

    const flags = JSON.parse((await env.KV.get('feature-flags')) || '{}');

    if (flags.newCheckout) {
      // Show new checkout flow
      showNewCheckout = true // (test)
    }

    return {flags, showNewCheckout}
  }

  it('parses the stored JSON flags, with {} when there are none', async () => {
    const {env} = await setUp()
    expect(await readFlags(env)).toEqual({flags: {}, showNewCheckout: false})

    await env.KV.put('feature-flags', JSON.stringify({newCheckout: true, darkMode: false}))
    expect(await readFlags(env)).toEqual({flags: {newCheckout: true, darkMode: false}, showNewCheckout: true})

    await env.KV.put('feature-flags', JSON.stringify({newCheckout: false}))
    expect(await readFlags(env)).toEqual({flags: {newCheckout: false}, showNewCheckout: false})

    await env.KV.delete('feature-flags')
    expect(await readFlags(env)).toEqual({flags: {}, showNewCheckout: false})
  })

  it("get(key, 'json') reads the same flags", async () => {
    const {env} = await setUp()
    await env.KV.put('feature-flags', JSON.stringify({newCheckout: true}))
    expect(await env.KV.get('feature-flags', 'json')).toEqual({newCheckout: true})
  })
})

describe('spec: Rate limiting with auto-expiration', () => {
  async function rateLimitedWorker() {
    const setup = await setUp()
    const {env, addEventListener} = setup

    addEventListener('fetch', async (event) => {
      const ip = event.request.headers.get('CF-Connecting-IP');
      const key = `ratelimit:${ip}`;
      const count = parseInt((await env.KV.get(key)) || '0');

      if (count > 100) {
        event.respondWith(new Response('Too many requests', { status: 429 }));
        return;
      }

      // Auto-reset after 1 minute
      await env.KV.put(key, String(count + 1), { expiresIn: 60 });

      event.respondWith(new Response('OK')); // (test)
    });

    return setup
  }

  it('allows 101 requests, then 429 until 60 s after the last counted one, then counts from 1 again', async () => {
    const {env, clock, request} = await rateLimitedWorker()
    const ip = {'CF-Connecting-IP': '203.0.113.7'}

    for (let i = 1; i <= 101; i++) {
      expect(await request(ip), `request ${i}`).toEqual({status: 200, body: 'OK'})
      clock.advance(100)
    }
    expect(await env.KV.get('ratelimit:203.0.113.7')).toBe('101')
    expect(await request(ip)).toEqual({status: 429, body: 'Too many requests'})

    // Another client is counted separately.
    expect(await request({'CF-Connecting-IP': '198.51.100.1'})).toEqual({status: 200, body: 'OK'})
    expect(await env.KV.get('ratelimit:198.51.100.1')).toBe('1')

    // The counter was last written 100 ms ago; it expires 60 s after that write.
    clock.advance(60_000 - 100 - 1)
    expect(await request(ip)).toEqual({status: 429, body: 'Too many requests'})
    clock.advance(1)
    expect(await env.KV.get('ratelimit:203.0.113.7')).toBeNull()
    expect(await request(ip)).toEqual({status: 200, body: 'OK'})
    expect(await env.KV.get('ratelimit:203.0.113.7')).toBe('1')
  })

  it('a quiet minute resets the counter even below the limit', async () => {
    const {env, clock, request} = await rateLimitedWorker()
    const ip = {'CF-Connecting-IP': '203.0.113.9'}
    for (let i = 0; i < 5; i++) await request(ip)
    expect(await env.KV.get('ratelimit:203.0.113.9')).toBe('5')
    clock.advance(59_999)
    await request(ip)
    expect(await env.KV.get('ratelimit:203.0.113.9')).toBe('6')
    clock.advance(60_000)
    await request(ip)
    expect(await env.KV.get('ratelimit:203.0.113.9')).toBe('1')
  })
})

describe('spec: List and cleanup', () => {
  it('deletes the matching session keys and nothing else', async () => {
    const {env, clock} = await setUp()
    const shouldCleanup = (data: string | null) => data !== null && JSON.parse(data).loggedOut === true // (test)

    await env.KV.put('session:a', JSON.stringify({loggedOut: true}))
    await env.KV.put('session:b', JSON.stringify({loggedOut: false}))
    await env.KV.put('session:c', JSON.stringify({loggedOut: true}), {expiresIn: 3600})
    await env.KV.put('session:d', JSON.stringify({loggedOut: false}), {expiresIn: 10})
    await env.KV.put('user:1', JSON.stringify({loggedOut: true}))
    clock.advance(10_000) // session:d has expired

    // Find all expired session markers
    const sessions = await env.KV.list({ prefix: 'session:' });

    for (const key of sessions) {
      const data = await env.KV.get(key);

      if (shouldCleanup(data)) {
        await env.KV.delete(key);
      }
    }

    expect(sessions).toEqual(['session:a', 'session:b', 'session:c'])
    expect(await env.KV.list()).toEqual(['session:b', 'user:1'])
    expect(await env.KV.get('session:b')).toBe('{"loggedOut":false}')
  })
})
