import {execFileSync, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, inject, it} from 'vitest'

import {expectFailure, expectOutput, expectQuietSuccess} from '../cli/cli-assert.js'
import {openNamespace} from '../../src/index.js'
import {expectKvError} from '../contract/fixture.js'
import {childEnv, KV_BIN, runKv, tempDir, type KvResult} from '../helpers.js'
import {command, startRedis, type RedisServer} from './servers.js'

/**
 * What a user sees when the Redis store cannot do its job: exit 4 and one line naming the server and the
 * cause, never a hang, never a stack trace, never the password. Every server here is real and private.
 */

const SECRET = 'hunter2-secret'
const started: {stop(): Promise<void> | void}[] = []
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop()
})

async function server(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const redis = await startRedis(options)
  started.push(redis)
  return redis
}

function kv(store: string, args: string[], env: Record<string, string> = {}): Promise<KvResult> {
  return runKv(args, {dataDir: tempDir(), configDir: tempDir(), env: {KV_STORE: store, ...env}})
}

/** A storage failure: exit 4, one line naming `where`, and no secret anywhere. */
function expectStorageFailure(result: KvResult, where: string, cause: RegExp): string {
  const line = expectFailure(result, 4)
  expect(line).toContain(where)
  expect(line).toMatch(cause)
  expect(result.stderr + result.text).not.toContain(SECRET)
  return line
}

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const {port} = probe.address() as {port: number}
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe('the Redis store when the server cannot serve', () => {
  it('server down: exit 4 naming the server, at once', async () => {
    const redis = await server()
    const url = redis.url
    await redis.stop()
    const started = Date.now()
    const line = expectStorageFailure(await kv(url, ['get', 'k']), url, /cannot connect/)
    expect(line).toBe(`kv: cannot connect to the Redis server at ${url.replace(/\/?$/, '')}: connection refused (is the server running?)`)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('several seed nodes, none usable: one line, the cause, or each node\'s when they differ', async () => {
    const [first, second] = [await freePort(), await freePort()]
    const refused = `redis://127.0.0.1:${first},127.0.0.1:${second}`
    expect(expectStorageFailure(await kv(refused, ['get', 'k']), refused, /./)).toBe(`kv: cannot connect to the Redis server at ${refused}: connection refused (is the server running?)`)
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(second, '127.0.0.1', resolve))
    started.push({stop: () => void silent.close()})
    const line = expectStorageFailure(await kv(`${refused}?connect_timeout=1`, ['get', 'k']), refused, /./)
    expect(line).toBe(
      `kv: cannot connect to any node of ${refused}?connect_timeout=1: 127.0.0.1:${first}: connection refused (is the server running?); ` +
        `127.0.0.1:${second}: timed out after 1 s (raise connect_timeout in the URL if the server is slow to answer)`,
    )
  })

  it('wrong password: exit 4, "authentication failed", and the password is never shown', async () => {
    const redis = await server({password: 'the-right-one'})
    const url = `redis://:${SECRET}@127.0.0.1:${redis.port}`
    expectStorageFailure(await kv(url, ['put', 'k', 'v']), `redis://:***@127.0.0.1:${redis.port}`, /authentication failed/)
    expectQuietSuccess(await kv(`redis://:the-right-one@127.0.0.1:${redis.port}`, ['put', 'k', 'v']))
  })

  it('TLS to a server that does not speak it: exit 4 within a second, saying so', async () => {
    const redis = await server()
    // Whether the server answers the ClientHello at all depends on its random bytes: a few tries see both ways.
    for (let run = 0; run < 4; run++) {
      const began = Date.now()
      const line = expectStorageFailure(await kv(`rediss://127.0.0.1:${redis.port}`, ['get', 'k']), `rediss://127.0.0.1:${redis.port}`, /./)
      expect(line).toBe(`kv: cannot connect to the Redis server at rediss://127.0.0.1:${redis.port}: the server does not speak TLS (use redis:// for a server without TLS, or enable TLS on it)`)
      expect(Date.now() - began).toBeLessThan(2500)
    }
  })

  it('TLS with a certificate kv does not trust fails (exit 4); trusted through NODE_EXTRA_CA_CERTS it works', async () => {
    const dir = tempDir()
    const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kv test CA', '-keyout', 'ca.key', '-out', 'ca.crt')
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr')
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt')
    const tlsPort = await freePort()
    await server({
      config: {
        'tls-port': tlsPort,
        'tls-cert-file': join(dir, 'server.crt'),
        'tls-key-file': join(dir, 'server.key'),
        'tls-ca-cert-file': join(dir, 'ca.crt'),
        'tls-auth-clients': 'no',
      },
    })
    const url = `rediss://127.0.0.1:${tlsPort}`
    expectStorageFailure(await kv(url, ['get', 'k']), url, /TLS failure \(.*certificate/)
    const trusted = {NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt')}
    expectQuietSuccess(await kv(url, ['put', 'k', 'over tls'], trusted))
    expectOutput(await kv(url, ['get', 'k'], trusted), 'over tls')
  })

  it('a Cluster that is not ready: exit 4, naming its state', async () => {
    const node = await server({config: {'cluster-enabled': 'yes', 'cluster-config-file': join(tempDir(), 'nodes.conf')}})
    expectStorageFailure(await kv(node.url, ['get', 'k']), node.url, /Redis Cluster .* is not ready \(cluster_state:fail\)/)
  })

  it('a READONLY replica: reads work, writes exit 4 with the server\'s reason', async () => {
    const primary = await server()
    expectQuietSuccess(await kv(primary.url, ['put', 'k', 'from the primary']))
    const replica = await server({replicaOf: {host: primary.host, port: primary.port}})
    await expect.poll(async () => (await kv(replica.url, ['get', 'k'])).text, {timeout: 10_000}).toBe('from the primary')
    expectStorageFailure(await kv(replica.url, ['put', 'k', 'v']), replica.url, /READONLY/)
    expectOutput(await kv(primary.url, ['get', 'k']), 'from the primary')
  })

  it('a server that accepts but never answers: exit 4 "timed out" within the connect timeout, not a hang', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    started.push({stop: () => void silent.close()})
    const {port} = silent.address() as {port: number}
    const began = Date.now()
    const url = `redis://127.0.0.1:${port}?connect_timeout=1&command_timeout=1`
    expectStorageFailure(await kv(url, ['get', 'k']), `redis://127.0.0.1:${port}`, /timed out/)
    expect(Date.now() - began).toBeLessThan(15_000)
  })

  it('a server busier than the timeouts: the CLI exits 4 "timed out"; an open namespace fails the command', async () => {
    const redis = await server({config: {'enable-debug-command': 'yes'}})
    const store = `${redis.url}?command_timeout=0.5&connect_timeout=0.5`
    expectQuietSuccess(await kv(store, ['put', 'k', 'v']))
    const app = await openNamespace('default', {store})
    let sleeping = command(redis, ['DEBUG', 'SLEEP', '2'], 10_000)
    expectStorageFailure(await kv(store, ['get', 'k']), redis.url, /timed out after 0\.5 s \(raise connect_timeout/)
    await sleeping
    sleeping = command(redis, ['DEBUG', 'SLEEP', '2'], 10_000)
    // Let the sleep reach the server first (it arrives on a connection of its own).
    await new Promise((resolve) => setTimeout(resolve, 300))
    const error = await expectKvError(app.get('k'), 'STORAGE_FAILURE')
    expect(error.message).toBe(`storage failure on ${store}: Command timed out (raise command_timeout in the URL if the server is this slow)`)
    await sleeping
    expect(await app.get('k')).toBe('v')
    await app.close()
  })

  it('a server that may evict kv\'s keys is refused, naming maxmemory-policy', async () => {
    const redis = await server({config: {'maxmemory-policy': 'allkeys-lru', maxmemory: '100mb'}})
    const line = expectStorageFailure(await kv(redis.url, ['put', 'k', 'v']), redis.url, /maxmemory-policy allkeys-lru.*set maxmemory-policy noeviction/)
    expect(line).not.toContain('\n')
    expect(await command(redis, ['DBSIZE'])).toBe(0)
  })

  it('a server that dies under an open namespace: "lost the connection", and it works again once the server is back', async () => {
    const redis = await server({config: {appendonly: 'yes', appendfsync: 'always'}})
    const app = await openNamespace('default', {store: redis.url, create: true})
    await app.put('k', 'v')
    await redis.kill9()
    const error = await expectKvError(app.get('k'), 'STORAGE_FAILURE')
    expect(error.message).toBe(`lost the connection to the Redis server at ${redis.url} (is it running?)`)
    await redis.restart()
    await expect.poll(() => app.get('k').catch((failure: Error) => failure.message), {timeout: 10_000}).toBe('v')
    await app.put('k', 'again')
    await app.close()
  })

  it('a server that dies in the middle of a command: exit 4, "lost the connection", one line', async () => {
    const redis = await server()
    const env = {KV_STORE: redis.url}
    expect((await runKv(['ns', 'create', 'big'], {dataDir: tempDir(), env})).code).toBe(0)
    const child = spawn(process.execPath, [KV_BIN, 'import', '-', '-n', 'big', '--format', 'ndjson'], {env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    // Enough records for a chunk to be staged while kv waits for the rest of its input.
    child.stdin.write(Array.from({length: 2000}, (_, i) => `{"key":"k${i}","value":"v"}\n`).join(''))
    await expect.poll(async () => ((await command(redis, ['KEYS', '*:stage:*'])) as string[]).length, {timeout: 10_000}).toBeGreaterThan(0)
    await redis.kill9()
    child.stdin.end(Array.from({length: 2000}, (_, i) => `{"key":"m${i}","value":"v"}\n`).join(''))
    expect(await exited).toBe(4)
    expect(stderr).toBe(`kv: lost the connection to the Redis server at ${redis.url} (is it running?)\n`)
  })
})

describe('store URLs the user gets wrong', () => {
  it('a malformed URL or an unknown scheme is exit 2, one line, the password hidden', async () => {
    for (const url of ['memcached://h', 'redis://h:99999', `redis://u:${SECRET}@h?colour=red`, 'redis://h/db', 'cache:6379']) {
      const line = expectFailure(await kv(url, ['get', 'k']), 2)
      expect(line).toMatch(/^kv: invalid store URL: /)
      expect(line).not.toContain(SECRET)
    }
    expectFailure(await runKv(['list', '--store', 'ftp://x'], {dataDir: tempDir()}), 2)
  })

  it('the password appears nowhere: --help, ns list, store show, errors, KV_DEBUG output', async () => {
    const redis = await server({password: SECRET})
    const url = `redis://:${SECRET}@127.0.0.1:${redis.port}`
    const outputs = [
      await kv(url, ['get', '--help']),
      await kv(url, ['--help']),
      await kv(url, ['ns', 'create', 'team']),
      await kv(url, ['ns', 'list', '--json']),
      await kv(url, ['store', 'show']),
      await kv(url, ['store', 'show', '--json']),
      await kv(url, ['get', 'missing'], {KV_DEBUG: '1'}),
      await kv(`redis://:${SECRET}@127.0.0.1:1`, ['get', 'k'], {KV_DEBUG: '1'}),
    ]
    for (const result of outputs) expect(result.stderr + result.text).not.toContain(SECRET)
    expect(outputs[4].text).toBe(`redis://:***@127.0.0.1:${redis.port}\n`)
  })
})

describe('kv store use', () => {
  it('saves a store only after connecting to it; local goes back to files; the settings file is private', async () => {
    const configDir = tempDir()
    const dataDir = tempDir()
    const run = (args: string[]) => runKv(args, {dataDir, configDir})
    const redis = inject('redis')
    const url = `${redis.url}?prefix=store-use-${process.pid}:`
    expectFailure(await run(['store', 'use', 'redis://127.0.0.1:1']), 4)
    const shown = await run(['store', 'show'])
    expect({code: shown.code, stdout: shown.text, stderr: shown.stderr}).toEqual({code: 0, stdout: `local (${dataDir})\n`, stderr: 'kv: the default: no --store, KV_STORE or kv store use\n'})
    const used = await run(['store', 'use', url])
    expect(used.code).toBe(0)
    expect(used.stderr).toMatch(/^kv: commands now use redis:\/\/127\.0\.0\.1:\d+\?prefix=store-use-\d+: \(saved in .*config\.json\)\n$/)
    expectQuietSuccess(await run(['put', 'k', 'on redis']))
    expectOutput(await run(['get', 'k', '--store', url]), 'on redis')
    expect(execFileSync('stat', ['-c', '%a', join(configDir, 'kv', 'config.json')]).toString().trim()).toBe('600')
    expect((await run(['store', 'use', 'local'])).code).toBe(0)
    expectFailure(await run(['get', 'k']), 1)
  })
})
