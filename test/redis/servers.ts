// Real Redis servers for tests: started from the system's redis-server, never mocked.
//
// Every server binds to 127.0.0.1 only, lives in a temp dir of its own and is stopped by pid. No server may
// outlive the process that started it: `stop()` in a test's teardown is the normal path, a process 'exit'
// hook kills what a test forgot, and a watchdog shell per server kills it when the starting process dies
// without running any hook (SIGKILL, a vitest worker torn down on a timeout).
//
// The harness talks to the servers with a few lines of RESP over node:net (no client library: the store's
// ioredis must not be what proves the store) and runs redis-cli for `--cluster create`.

import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {accessSync, constants, closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {createConnection, createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

export const HOST = '127.0.0.1'

/** Config values: `['127.0.0.1', 6379]` becomes two arguments (`--replicaof 127.0.0.1 6379`). */
export type ConfigValue = string | number | readonly (string | number)[]

export interface RedisOptions {
  /** Extra config, e.g. `{appendonly: 'yes', appendfsync: 'always', 'maxmemory-policy': 'noeviction'}`.
   *  Overrides the defaults (`save ''`, `appendonly no`). port, bind, dir and unixsocket belong to the harness. */
  config?: Record<string, ConfigValue>
  /** Sets `requirepass`; the harness authenticates with it and returns it as `password`. */
  password?: string
  /** Also listen on a unix socket `<dir>/redis.sock` (default true). */
  unixSocket?: boolean
  /** Start as a replica of this server, and wait until the replication link is up. */
  replicaOf?: {host: string; port: number}
  /** How long the server may take to answer PING (default 15 s). */
  startTimeoutMs?: number
}

export interface RedisServer {
  readonly host: string
  readonly port: number
  /** `<dir>/redis.sock`, or undefined with `unixSocket: false` */
  readonly socket: string | undefined
  /** `redis://127.0.0.1:<port>` (no password in it: see `password`) */
  readonly url: string
  readonly password: string | undefined
  /** The current process; a new one after `restart()`. */
  readonly pid: number
  /** The server's `dir`: data files, and its log in `redis.log`. */
  readonly dir: string
  /** SIGTERM (SIGKILL after a timeout), wait until the process is gone, remove the dir. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL and wait until the process is gone; keeps the dir for `restart()`. */
  kill9(): Promise<void>
  /** Start again on the same port and dir (after kill9(), or stopping gracefully first if running). */
  restart(): Promise<void>
}

export interface ClusterOptions {
  /** Number of masters (default 3, the least redis-cli accepts). */
  masters?: number
  /** Replicas of each master (default 0): with replicas, a killed master's replica takes over its slots. */
  replicas?: number
  /** `cluster-node-timeout` in ms once the cluster is up (default 2000). It is 500 while the cluster forms,
   *  which makes forming it steadier (about 2.05 s; larger timeouts sometimes take 3 to 7 s). */
  nodeTimeoutMs?: number
  /** Extra config for every node. */
  config?: Record<string, ConfigValue>
  startTimeoutMs?: number
}

export interface RedisCluster {
  /** Every node, each a full RedisServer (kill9/restart one for fault tests): the masters first, as formed. */
  readonly nodes: RedisServer[]
  /** The nodes that were masters when the cluster formed (all of `nodes` without replicas). */
  readonly masters: RedisServer[]
  /** `redis://127.0.0.1:<port of the first node>` */
  readonly url: string
  /** Every node, for a client's startup nodes. */
  readonly seeds: {host: string; port: number}[]
  /** Waits until the running nodes see the cluster whole: every slot served, `masters` masters (a node
   *  killed and not restarted is left out: after a master's kill9(), this waits for its replica to take over).
   *  A restarted master serves its slots about 2 s after it starts: Redis holds a rejoining master back that long. */
  ready(timeoutMs?: number): Promise<void>
  /** The nodes replicating `master` now. */
  replicasOf(master: RedisServer): Promise<RedisServer[]>
  stop(): Promise<void>
}

/** Where a command goes: TCP when there is a port (host defaults to 127.0.0.1), else the unix socket; with
 *  the password if any. A RedisServer is a Target. */
export interface Target {
  host?: string
  port?: number
  socket?: string
  password?: string
}

function endpoint(target: Target): {host: string; port: number} | {path: string} {
  if (target.port) return {host: target.host ?? HOST, port: target.port}
  if (target.socket) return {path: target.socket}
  throw new Error('a Redis target needs a port or a socket')
}

// ---------------------------------------------------------------------------------------------------------
// Binaries

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

/** The paths of redis-server and redis-cli; throws a one-line install hint when either is missing. */
export function redisBinaries(): {server: string; cli: string} {
  const server = onPath('redis-server')
  const cli = onPath('redis-cli')
  const missing = [server ? '' : 'redis-server', cli ? '' : 'redis-cli'].filter(Boolean)
  if (missing.length > 0) {
    throw new Error(`${missing.join(' and ')} not found on PATH: the Redis tests run real servers; install them with \`apt-get install redis-server\` (it brings redis-cli)`)
  }
  return {server: server!, cli: cli!}
}

// ---------------------------------------------------------------------------------------------------------
// RESP: just enough to send commands and read replies

export class RedisReplyError extends Error {}
export type Reply = string | number | null | RedisReplyError | Reply[]

/** One reply parsed from `buf` at `at`, or undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, at: number): [Reply, number] | undefined {
  const eol = buf.indexOf('\r\n', at)
  if (eol < 0) return undefined
  const line = buf.toString('utf8', at + 1, eol)
  const next = eol + 2
  switch (buf[at]) {
    case 0x2b: // +
      return [line, next]
    case 0x2d: // -
      return [new RedisReplyError(line), next]
    case 0x3a: // :
      return [Number(line), next]
    case 0x24: { // $
      const length = Number(line)
      if (length < 0) return [null, next]
      if (buf.length < next + length + 2) return undefined
      return [buf.toString('utf8', next, next + length), next + length + 2]
    }
    case 0x2a: { // *
      const count = Number(line)
      if (count < 0) return [null, next]
      const items: Reply[] = []
      let offset = next
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, offset)
        if (!item) return undefined
        items.push(item[0])
        offset = item[1]
      }
      return [items, offset]
    }
    default:
      throw new Error(`unexpected RESP reply: ${JSON.stringify(buf.toString('utf8', at, Math.min(buf.length, at + 80)))}`)
  }
}

function encode(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.from(String(arg))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** Sends commands on one new connection (AUTH first when the target has a password) and returns their
 *  replies; error replies are RedisReplyError values in the array, not exceptions. */
export function pipeline(target: Target, commands: readonly (readonly (string | number)[])[], timeoutMs = 5000): Promise<Reply[]> {
  const all = target.password === undefined ? commands : [['AUTH', target.password], ...commands]
  return new Promise((resolve, reject) => {
    const socket = createConnection(endpoint(target))
    const replies: Reply[] = []
    let buf: Buffer = Buffer.alloc(0)
    let offset = 0
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply from Redis within ${timeoutMs} ms`)))
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      try {
        for (let reply; replies.length < all.length && (reply = parseReply(buf, offset)); ) {
          replies.push(reply[0])
          offset = reply[1]
        }
      } catch (error) {
        socket.destroy(error as Error)
        return
      }
      if (replies.length === all.length) {
        socket.end()
        resolve(target.password === undefined ? replies : replies.slice(1))
      }
    })
    socket.on('close', () => reject(new Error(`connection closed after ${replies.length} of ${all.length} replies`)))
    socket.write(Buffer.concat(all.map(encode)))
  })
}

/** One command; an error reply is thrown. */
export async function command(target: Target, args: readonly (string | number)[], timeoutMs?: number): Promise<Reply> {
  const [reply] = await pipeline(target, [args], timeoutMs)
  if (reply instanceof RedisReplyError) throw reply
  return reply
}

/** `INFO <section>` (or CLUSTER INFO) text as a map. */
function infoFields(text: Reply): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

/** Runs redis-cli against a server (`-h -p`, `-s` for a socket target, `-a` with a password) and returns its
 *  stdout without the trailing newline. Note: redis-cli exits 0 on an error reply and prints it as text. */
export function redisCli(target: Target, args: readonly string[]): Promise<string> {
  const {cli} = redisBinaries()
  const to = endpoint(target)
  const where = 'path' in to ? ['-s', to.path] : ['-h', to.host, '-p', String(to.port)]
  const auth = target.password === undefined ? [] : ['-a', target.password, '--no-auth-warning']
  return new Promise((resolve, reject) => {
    execFile(cli, [...where, ...auth, ...args], {timeout: 30_000}, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`))
      else resolve(stdout.replace(/\n$/, ''))
    })
  })
}

// ---------------------------------------------------------------------------------------------------------
// Ports

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen({host: HOST, port, exclusive: true}, () => resolve(server))
  })
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

/** `count` ports free on 127.0.0.1 right now (with `withBus`, port+10000 free too), distinct from each other.
 *  They are free only until something else binds them: a server start that loses that race picks again. */
async function freePorts(count: number, withBus: boolean): Promise<number[]> {
  const held: Server[] = []
  const ports: number[] = []
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > 200) throw new Error('could not find free ports on 127.0.0.1')
      const probe = await listen(0)
      if (!probe) continue
      held.push(probe)
      const port = (probe.address() as {port: number}).port
      if (!withBus) {
        ports.push(port)
        continue
      }
      // The cluster bus listens on port+10000, which must exist and be free as well.
      if (port + 10000 > 65535) continue
      const bus = await listen(port + 10000)
      if (!bus) continue
      held.push(bus)
      ports.push(port)
    }
    return ports
  } finally {
    await Promise.all(held.map(close))
  }
}

// ---------------------------------------------------------------------------------------------------------
// Processes

/** Running server processes (pid -> its watchdog), and the dirs of servers not stopped yet. */
const live = new Map<number, ChildProcess>()
const dirs = new Set<string>()

// Last resort for a test that forgot stop(): synchronous, since 'exit' handlers cannot wait.
process.on('exit', () => {
  for (const [pid, watchdog] of live) {
    try { process.kill(watchdog.pid!, 'SIGKILL') } catch {}
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

/** Whether a /proc/<pid>/cmdline is the redis-server on `port`: its title once started
 *  (`/usr/bin/redis-server 127.0.0.1:<port> [cluster]`), or its argv before that (`... --port <port> ...`). */
function isServerCmdline(cmdline: string, port: number): boolean {
  const line = `${cmdline.replaceAll('\0', ' ')} `
  return line.includes('redis-server') && (line.includes(`redis-server ${HOST}:${port} `) || line.includes(` --port ${port} `))
}

/** Whether `pid` is still the redis-server on `port` (not gone, not a zombie, not a reused pid). */
export function isServerRunning(pid: number, port: number): boolean {
  try {
    return isServerCmdline(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), port)
  } catch {
    return false
  }
}

/** A shell that waits on a pipe from this process and, when the pipe closes (this process is gone, however it
 *  died), SIGKILLs the server and removes its dir. pid_max can be small (32768), so it first checks that the
 *  pid is still this server, as isServerCmdline does. */
function startWatchdog(pid: number, port: number, dir: string): ChildProcess {
  const script = `read -r _
case "$(tr '\\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) " in
  *"redis-server ${HOST}:$2 "* | *redis-server*" --port $2 "*) kill -9 "$1" ;;
esac
case "$3" in */kv-redis-*) rm -rf "$3" ;; esac`
  const watchdog = spawn('/bin/sh', ['-c', script, 'kv-redis-watchdog', String(pid), String(port), dir], {stdio: ['pipe', 'ignore', 'ignore']})
  watchdog.stdin!.on('error', () => {})
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref()
  ;(watchdog.stdin as unknown as {unref(): void}).unref()
  return watchdog
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  // The server is unref'd so it cannot keep this process alive; while we wait for it, it must.
  child.ref()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Signals the process and waits until it is gone (reaped, so its pid no longer exists). */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  const gone = exited(child)
  try { process.kill(child.pid!, signal) } catch {}
  if (signal === 'SIGKILL') return gone
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), graceMs) })
  if ((await Promise.race([gone, late])) === 'late') {
    try { process.kill(child.pid!, 'SIGKILL') } catch {}
    await gone
  }
  clearTimeout(timer)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The last lines the server logged since `from` (the log's size when it was started). */
function logTail(dir: string, from: number): string {
  try {
    return readFileSync(join(dir, 'redis.log')).subarray(from).toString('utf8').trim().split('\n').slice(-8).join('\n')
  } catch {
    return '(no log)'
  }
}

class PortTaken extends Error {}

interface Spec {
  port: number
  dir: string
  args: string[]
  target: Target
  replicaOf?: {host: string; port: number}
  startTimeoutMs: number
}

/** Spawns redis-server and waits until it answers PING (and, for a replica, until its link is up). */
async function launch(spec: Spec): Promise<ChildProcess> {
  const {server} = redisBinaries()
  // stdout and stderr (the log, and config errors printed before logging starts) go to <dir>/redis.log.
  const log = openSync(join(spec.dir, 'redis.log'), 'a')
  const logFrom = fstatSync(log).size
  let child: ChildProcess
  try {
    child = spawn(server, spec.args, {cwd: spec.dir, stdio: ['ignore', log, log]})
  } finally {
    closeSync(log)
  }
  child.unref()
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined))
    child.once('error', resolve)
  })
  if (spawned) throw spawned
  const watchdog = startWatchdog(child.pid!, spec.port, spec.dir)
  live.set(child.pid!, watchdog)
  child.once('exit', () => {
    live.delete(child.pid!)
    try { process.kill(watchdog.pid!, 'SIGKILL') } catch {}
  })

  const deadline = Date.now() + spec.startTimeoutMs
  let last = ''
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = logTail(spec.dir, logFrom)
      if (/Address already in use/.test(tail)) throw new PortTaken(tail)
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${tail}`)
    }
    try {
      const [pong, replication] = await pipeline(spec.target, [['PING'], ['INFO', 'replication']], 1000)
      if (pong instanceof RedisReplyError) throw pong // e.g. LOADING while it reads its AOF back
      if (!spec.replicaOf || infoFields(replication).get('master_link_status') === 'up') return child
      last = 'replication link not up yet'
    } catch (error) {
      last = (error as Error).message
    }
    await sleep(15)
  }
  await terminate(child, 'SIGKILL')
  throw new Error(`redis-server did not get ready within ${spec.startTimeoutMs} ms (${last}):\n${logTail(spec.dir, logFrom)}`)
}

const HARNESS_KEYS = new Set(['port', 'bind', 'dir', 'unixsocket', 'unixsocketperm', 'daemonize', 'logfile', 'requirepass'])

function configArgs(config: Record<string, ConfigValue>): string[] {
  const args: string[] = []
  for (const [key, value] of Object.entries(config)) {
    args.push(`--${key}`, ...(Array.isArray(value) ? value.map(String) : [String(value)]))
  }
  return args
}

/** Starts one redis-server on a free port of 127.0.0.1 (and a unix socket in its temp dir). */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  redisBinaries()
  const extra = Object.fromEntries(Object.entries(options.config ?? {}).map(([key, value]) => [key.toLowerCase(), value]))
  for (const key of Object.keys(extra)) {
    if (HARNESS_KEYS.has(key)) throw new Error(`startRedis: "${key}" is set by the harness${key === 'requirepass' ? ' (use the password option)' : ''}`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'kv-redis-'))
  dirs.add(dir)
  const socket = options.unixSocket === false ? undefined : join(dir, 'redis.sock')
  const config: Record<string, ConfigValue> = {
    // No snapshots and no AOF unless a test asks: nothing to write, nothing to load.
    save: '',
    appendonly: 'no',
    // A master waits 5 s by default for more replicas before a full sync: none are coming in a test.
    'repl-diskless-sync-delay': 0,
    ...extra,
    ...(options.replicaOf ? {replicaof: [options.replicaOf.host, options.replicaOf.port]} : {}),
    ...(options.password !== undefined ? {requirepass: options.password} : {}),
    bind: HOST,
    dir,
    daemonize: 'no',
    ...(socket ? {unixsocket: socket, unixsocketperm: 700} : {}),
  }
  const startTimeoutMs = options.startTimeoutMs ?? 15_000

  let port = 0
  let child: ChildProcess | undefined
  let stopped = false
  try {
    // Another process may bind the port between our probe and the server's bind: pick another and try again.
    for (let attempt = 1; !child; attempt++) {
      ;[port] = await freePorts(1, Boolean(extra['cluster-enabled'] === 'yes'))
      try {
        child = await launch({
          port, dir, args: configArgs({port, ...config}), replicaOf: options.replicaOf, startTimeoutMs,
          target: {host: HOST, port, password: options.password},
        })
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt >= 5) throw error
      }
    }
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    dirs.delete(dir)
    throw error
  }

  let current: ChildProcess = child
  const spec = (): Spec => ({
    port, dir, args: configArgs({port, ...config}), replicaOf: options.replicaOf, startTimeoutMs,
    target: {host: HOST, port, password: options.password},
  })
  const running = () => current.exitCode === null && current.signalCode === null
  return {
    host: HOST,
    port,
    socket,
    url: `redis://${HOST}:${port}`,
    password: options.password,
    get pid() { return current.pid! },
    dir,
    async stop() {
      if (stopped) return
      stopped = true
      await terminate(current, 'SIGTERM')
      rmSync(dir, {recursive: true, force: true})
      dirs.delete(dir)
    },
    async kill9() {
      if (stopped) throw new Error('kill9(): the server was stopped')
      await terminate(current, 'SIGKILL')
    },
    async restart() {
      if (stopped) throw new Error('restart(): the server was stopped and its dir removed')
      if (running()) await terminate(current, 'SIGTERM')
      // Same port and dir: a port taken meanwhile by someone else is the test's failure, not something to hide.
      current = await launch(spec())
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cluster

const FORMING_NODE_TIMEOUT_MS = 500

/** Waits until every node of `nodes` reports cluster_state:ok, all 16384 slots assigned and served, knows all
 *  `known` nodes and `masters` masters with slots (so any node can redirect any key), and every replica among
 *  them is in sync with its master (so that it can take over). */
async function clusterReady(nodes: readonly RedisServer[], {known, masters}: {known: number; masters: number}, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let state: string
    try {
      const infos = await Promise.all(nodes.map(async (node) => {
        const [cluster, replication] = await pipeline(node, [['CLUSTER', 'INFO'], ['INFO', 'replication']])
        return new Map([...infoFields(cluster), ...infoFields(replication)])
      }))
      const ready = (info: Map<string, string>) => info.get('cluster_state') === 'ok'
        && info.get('cluster_slots_assigned') === '16384'
        && info.get('cluster_slots_ok') === '16384'
        && info.get('cluster_known_nodes') === String(known)
        && info.get('cluster_size') === String(masters)
        && (info.get('role') === 'master' || info.get('master_link_status') === 'up')
      if (infos.every(ready)) return
      state = infos.map((info) => `${info.get('cluster_state')}, ${info.get('cluster_slots_ok')} slots ok, ${info.get('cluster_size')} masters`).join('; ')
    } catch (error) {
      state = (error as Error).message
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster not ready within ${timeoutMs} ms: ${state}`)
    await sleep(20)
  }
}

/** Starts `masters` cluster-enabled servers (and `replicas` more per master), joins them with `redis-cli
 *  --cluster create`, and waits until every node reports cluster_state:ok with all 16384 slots assigned, knows
 *  every master, and every replica is in sync. */
export async function startCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const {cli} = redisBinaries()
  const masters = options.masters ?? 3
  const replicas = options.replicas ?? 0
  if (masters < 3) throw new Error('startCluster: redis-cli --cluster create needs at least 3 masters')
  const startTimeoutMs = options.startTimeoutMs ?? 30_000
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000
  const started = await Promise.allSettled(Array.from({length: masters * (1 + replicas)}, () => startRedis({
    unixSocket: false,
    startTimeoutMs,
    config: {
      ...options.config,
      'cluster-enabled': 'yes',
      // Relative to each node's own dir (redis-server runs there): one nodes.conf per node.
      'cluster-config-file': 'nodes.conf',
      'cluster-node-timeout': nodeTimeoutMs,
    },
  })))
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const stop = async () => { await Promise.all(nodes.map((node) => node.stop())) }
  try {
    const failed = started.find((result) => result.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason

    await Promise.all(nodes.map((node) => command(node, ['CONFIG', 'SET', 'cluster-node-timeout', FORMING_NODE_TIMEOUT_MS])))
    const hosts = nodes.map((node) => `${node.host}:${node.port}`)
    await new Promise<void>((resolve, reject) => {
      // redis-cli makes the first `masters` nodes given the masters, the others their replicas.
      execFile(cli, ['--cluster', 'create', ...hosts, '--cluster-replicas', String(replicas), '--cluster-yes'], {timeout: startTimeoutMs}, (error, stdout, stderr) => {
        if (error) reject(new Error(`redis-cli --cluster create ${hosts.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
        else resolve()
      })
    })

    await clusterReady(nodes, {known: nodes.length, masters}, startTimeoutMs)
    await Promise.all(nodes.map((node) => command(node, ['CONFIG', 'SET', 'cluster-node-timeout', nodeTimeoutMs])))
  } catch (error) {
    await stop()
    throw error
  }
  const running = () => nodes.filter((node) => isServerRunning(node.pid, node.port))
  return {
    nodes,
    masters: nodes.slice(0, masters),
    url: `redis://${HOST}:${nodes[0]!.port}`,
    seeds: nodes.map((node) => ({host: node.host, port: node.port})),
    ready: (timeoutMs = startTimeoutMs) => clusterReady(running(), {known: nodes.length, masters}, timeoutMs),
    async replicasOf(master) {
      // ROLE on a master: ['master', offset, [[ip, port, offset], ...]].
      const [, , connected] = (await command(master, ['ROLE'])) as [string, number, [string, string, string][]]
      return connected.map(([, port]) => nodes.find((node) => node.port === Number(port))!)
    },
    stop,
  }
}
