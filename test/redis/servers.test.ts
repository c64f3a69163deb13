// The harness itself: real servers start, keep what they must, form a cluster, and leave nothing behind.
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {afterEach, describe, expect, inject, it} from 'vitest'
import {
  command, isServerRunning, pipeline, redisBinaries, redisCli, RedisReplyError, startCluster, startRedis,
  type RedisCluster, type RedisServer,
} from './servers.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const CHILD = resolve(import.meta.dirname, 'children', 'start-server.ts')

const started: (RedisServer | RedisCluster)[] = []
async function track<T extends RedisServer | RedisCluster>(server: Promise<T>): Promise<T> {
  started.push(await server)
  return server
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()))
})

/** Addresses listening on TCP `port` on this machine (IPv4 and IPv6), from /proc/net/tcp{,6}. */
function listeners(port: number): string[] {
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      const [address, hexPort] = local!.split(':')
      if (state === '0A' && Number.parseInt(hexPort!, 16) === port) found.push(address!)
    }
  }
  return found
}
const LOOPBACK = '0100007F' // 127.0.0.1 as /proc/net/tcp writes it

async function refused(port: number): Promise<boolean> {
  try {
    await command({port}, ['PING'], 2000)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED'
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

describe('startRedis', () => {
  it('starts a server on 127.0.0.1 and a unix socket, without persistence, and stop() leaves nothing behind', async () => {
    const server = await startRedis()
    const {pid, port, dir, socket} = server
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${port}`)
      expect(socket).toBe(`${dir}/redis.sock`)
      expect(await command(server, ['PING'])).toBe('PONG')
      expect(await command({socket}, ['PING'])).toBe('PONG')
      expect(await redisCli(server, ['SET', 'k', 'v'])).toBe('OK')
      expect(await redisCli({socket}, ['GET', 'k'])).toBe('v')
      expect(listeners(port)).toEqual([LOOPBACK])
      expect(await pipeline(server, [['CONFIG', 'GET', 'save'], ['CONFIG', 'GET', 'appendonly'], ['CONFIG', 'GET', 'dir']]))
        .toEqual([['save', ''], ['appendonly', 'no'], ['dir', dir]])
      expect(isServerRunning(pid, port)).toBe(true)
    } finally {
      await server.stop()
    }
    expect(isServerRunning(pid, port)).toBe(false)
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
    expect(existsSync(dir)).toBe(false)
    expect(await refused(port)).toBe(true)
    await server.stop() // twice is fine
  })

  it('with appendonly yes and appendfsync always, a value survives kill -9 and restart on the same port and dir', async () => {
    const server = await track(startRedis({config: {appendonly: 'yes', appendfsync: 'always'}}))
    const {port, dir} = server
    const firstPid = server.pid
    expect(await redisCli(server, ['SET', 'durable', 'still here'])).toBe('OK')
    await server.kill9()
    expect(isServerRunning(firstPid, port)).toBe(false)
    expect(await refused(port)).toBe(true)
    expect(existsSync(dir)).toBe(true)
    await server.restart()
    expect(server.pid).not.toBe(firstPid)
    expect([server.port, server.dir]).toEqual([port, dir])
    expect(await redisCli(server, ['GET', 'durable'])).toBe('still here')
  })

  it('without persistence (the default) the same kill -9 and restart loses the value: the check above can fail', async () => {
    const server = await track(startRedis())
    expect(await redisCli(server, ['SET', 'volatile', 'gone soon'])).toBe('OK')
    await server.kill9()
    await server.restart()
    expect(await redisCli(server, ['GET', 'volatile'])).toBe('')
    // restart() on a running server stops it gracefully first.
    const before = server.pid
    await server.restart()
    expect(isServerRunning(before, server.port)).toBe(false)
    expect(await command(server, ['PING'])).toBe('PONG')
  })

  it('passes extra config, and a password', async () => {
    const server = await track(startRedis({password: 's3cret', config: {'maxmemory-policy': 'noeviction', 'maxmemory': '64mb'}}))
    expect(await command(server, ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'noeviction'])
    await expect(command({port: server.port}, ['PING'])).rejects.toThrow(/NOAUTH/)
    expect(await redisCli({port: server.port}, ['PING'])).toMatch(/NOAUTH/)
    expect(await redisCli(server, ['PING'])).toBe('PONG')
    await expect(startRedis({config: {port: 1234}})).rejects.toThrow(/"port" is set by the harness/)
  })

  it('starts a replica of another server: it has the master\'s data and refuses writes with READONLY', async () => {
    const master = await track(startRedis())
    await command(master, ['SET', 'from-master', '1'])
    const replica = await track(startRedis({replicaOf: {host: master.host, port: master.port}}))
    expect(await command(replica, ['GET', 'from-master'])).toBe('1')
    const [reply] = await pipeline(replica, [['SET', 'k', 'v']])
    expect(reply).toBeInstanceOf(RedisReplyError)
    expect(String(reply)).toMatch(/READONLY/)
  })

  it('says how to install Redis when redis-server or redis-cli is missing', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      expect(() => redisBinaries()).toThrow('redis-server and redis-cli not found on PATH: the Redis tests run real servers; install them with `apt-get install redis-server` (it brings redis-cli)')
      await expect(startRedis()).rejects.toThrow(/apt-get install redis-server/)
      await expect(startCluster()).rejects.toThrow(/apt-get install redis-server/)
    } finally {
      process.env.PATH = path
    }
    expect(redisBinaries().server).toMatch(/redis-server$/)
  })

  for (const mode of ['wait', 'exit'] as const) {
    it(`no server outlives the process that started it (${mode === 'wait' ? 'SIGKILLed' : 'exiting without stop()'})`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], {cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe']})
      let out = ''
      let err = ''
      child.stderr.on('data', (chunk: Buffer) => { err += chunk })
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk
          if (out.includes('\n')) resolve(out.split('\n')[0]!)
        })
        child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing: ${out}${err}`)))
      })
      const {pid, port, dir} = JSON.parse(line) as {pid: number; port: number; dir: string}
      expect(isServerRunning(pid, port)).toBe(true)
      if (mode === 'wait') child.kill('SIGKILL')
      else child.stdin.end()
      // The 'exit' hook kills at once; after a SIGKILL the watchdog does when the child's pipe closes.
      expect(await until(() => !isServerRunning(pid, port), 5000)).toBe(true)
      expect(await until(() => !existsSync(dir), 5000)).toBe(true)
      expect(await refused(port)).toBe(true)
    })
  }
})

describe('startCluster', () => {
  it('forms a 3-master cluster on 127.0.0.1: cluster_state:ok, all slots, keys of one hash tag on one node', async () => {
    const cluster = await track(startCluster())
    expect(cluster.nodes).toHaveLength(3)
    expect(cluster.url).toBe(`redis://127.0.0.1:${cluster.nodes[0]!.port}`)
    expect(cluster.seeds).toEqual(cluster.nodes.map((node) => ({host: '127.0.0.1', port: node.port})))
    for (const node of cluster.nodes) {
      const info = await redisCli(node, ['CLUSTER', 'INFO'])
      expect(info).toMatch(/^cluster_state:ok\r?$/m)
      expect(info).toMatch(/^cluster_slots_assigned:16384\r?$/m)
      expect(info).toMatch(/^cluster_known_nodes:3\r?$/m)
      // The client port and the cluster bus, both on loopback only.
      expect(listeners(node.port)).toEqual([LOOPBACK])
      expect(listeners(node.port + 10000)).toEqual([LOOPBACK])
    }

    const first = cluster.nodes[0]!
    const slot = await command(first, ['CLUSTER', 'KEYSLOT', 'ns1'])
    for (const key of ['{ns1}a', '{ns1}b', '{ns1}:list', '{ns1}']) {
      expect(await command(first, ['CLUSTER', 'KEYSLOT', key])).toBe(slot)
    }
    // Written through redirects (redis-cli -c) with one multi-key command, which a cluster allows only within
    // one slot, each tag's keys are on exactly one node; 30 tags use all three.
    const nodesUsed = new Set<number>()
    for (let tag = 0; tag < 30; tag++) {
      expect(await redisCli(first, ['-c', 'MSET', `{t${tag}}a`, 'v', `{t${tag}}b`, 'v', `{t${tag}}c`, 'v'])).toBe('OK')
      const holders: number[] = []
      for (const [index, node] of cluster.nodes.entries()) {
        const [count] = await pipeline(node, [['EXISTS', `{t${tag}}a`, `{t${tag}}b`, `{t${tag}}c`]])
        if (count instanceof RedisReplyError) {
          expect(count.message).toMatch(/^MOVED /)
        } else if (count !== 0) {
          expect(count).toBe(3)
          holders.push(index)
        }
      }
      expect(holders).toHaveLength(1)
      nodesUsed.add(holders[0]!)
    }
    expect(nodesUsed.size).toBe(3)
    const [crossSlot] = await pipeline(first, [['MSET', '{t0}a', 'v', '{t1}a', 'v']])
    expect(String(crossSlot)).toMatch(/CROSSSLOT/)
  })

  it('stop() leaves no process, port or dir behind', async () => {
    const cluster = await startCluster()
    const nodes = cluster.nodes.map(({pid, port, dir}) => ({pid, port, dir}))
    for (const node of nodes) expect(isServerRunning(node.pid, node.port)).toBe(true)
    await cluster.stop()
    for (const node of nodes) {
      expect(isServerRunning(node.pid, node.port)).toBe(false)
      expect(existsSync(node.dir)).toBe(false)
      expect(await refused(node.port)).toBe(true)
    }
  })
})

describe('global setup (test/redis/global-setup.ts)', () => {
  it('provides a running standalone server and a ready cluster to every test', async () => {
    const redis = inject('redis')
    const cluster = inject('redisCluster')
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
    expect(isServerRunning(redis.pid, redis.port)).toBe(true)
    expect(await command(redis, ['PING'])).toBe('PONG')
    expect(await command({socket: redis.socket}, ['PING'])).toBe('PONG')
    expect(cluster.seeds).toHaveLength(3)
    expect(cluster.url).toBe(`redis://127.0.0.1:${cluster.seeds[0]!.port}`)
    for (const [index, seed] of cluster.seeds.entries()) {
      expect(isServerRunning(cluster.pids[index]!, seed.port)).toBe(true)
      expect(await redisCli(seed, ['CLUSTER', 'INFO'])).toMatch(/^cluster_state:ok\r?$/m)
    }
  })
})
