import {createHash} from 'node:crypto'
import type {Cluster, Redis, RedisOptions} from 'ioredis'

import {KvError} from '../../errors.js'
import {reasonOf} from '../errors.js'
import type {RedisClientLike} from '../location.js'
import {refusedCommands} from './acl.js'
import {registryKeys} from './layout.js'
import {commandFailure, describeConnectFailure, type Identity} from './reasons.js'
import {connectWithin, firstAnswering} from './seeds.js'
import type {RedisTarget} from './url.js'

type Client = Redis | Cluster
type Argument = string | Buffer | number

/**
 * One client (a server, or a whole Cluster) shared by every namespace this process opens on the same URL.
 * The only place that knows ioredis: the rest of the Redis store talks to it through `call` and `script`.
 */
export class Connection {
  private refs = 1
  private readonly shas = new Map<string, string>()
  private corked = false

  constructor(
    private readonly client: Client,
    readonly cluster: boolean,
    /** The server as messages name it (no password). */
    readonly display: string,
    /** The ACL user, and the key prefix of kv's keys on this server. */
    private readonly identity: Identity,
    /** False for a client the app handed over: kv never closes that one. */
    private readonly owned: boolean,
    private readonly onLastRelease: () => void,
  ) {}

  /** A command whose reply is wanted as Buffers (binary-safe), with errors mapped to KvErrors. */
  call(command: string, ...args: Argument[]): Promise<unknown> {
    return this.send(command, args)
  }

  /** `call` with the arguments as one array: a spread of a big write's arguments would overflow the stack. */
  async send(command: string, args: Argument[]): Promise<unknown> {
    this.coalesce()
    try {
      return await this.client.callBuffer(command, args)
    } catch (error) {
      throw this.failure(error)
    }
  }

  /** Several commands sent at once (one round trip), replies in order; the first error fails them all. */
  async pipeline(commands: [string, ...Argument[]][]): Promise<unknown[]> {
    let results: [Error | null, unknown][] | null
    try {
      const pipeline = this.client.pipeline()
      for (const [command, ...args] of commands) pipeline.callBuffer(command, ...args)
      results = await pipeline.exec()
    } catch (error) {
      throw this.failure(error)
    }
    return (results ?? []).map(([error, reply]) => {
      if (error) throw this.failure(error)
      return reply
    })
  }

  /**
   * Runs a script by its SHA, sending its text only when the server (this Cluster node) does not have it
   * yet: scripts are cached per node and not replicated, so EVALSHA can miss on any node at any time.
   */
  async script(lua: string, keys: Buffer[], args: Argument[]): Promise<unknown> {
    let sha = this.shas.get(lua)
    if (sha === undefined) {
      sha = createHash('sha1').update(lua).digest('hex')
      this.shas.set(lua, sha)
    }
    this.coalesce()
    try {
      return await this.client.callBuffer('EVALSHA', [sha, keys.length, ...keys, ...args])
    } catch (error) {
      if (!reasonOf(error).startsWith('NOSCRIPT')) throw this.failure(error)
    }
    return this.send('EVAL', [lua, keys.length, ...keys, ...args])
  }

  /** Each master node's reply to a command (INFO sections, in practice). */
  async onEveryMaster(command: string, ...args: Argument[]): Promise<unknown[]> {
    const nodes = this.cluster ? (this.client as Cluster).nodes('master') : [this.client as Redis]
    try {
      return await Promise.all(nodes.map((node) => node.call(command, ...args)))
    } catch (error) {
      throw this.failure(error)
    }
  }

  /** A keyless command (INFO) run on the node that holds the slot of `sameSlotAs` (the server itself when not a Cluster). */
  async onNodeHolding(sameSlotAs: Buffer, command: string, ...args: Argument[]): Promise<unknown> {
    const [node] = await this.nodesHolding(sameSlotAs)
    try {
      return await node.call(command, ...args)
    } catch (error) {
      throw this.failure(error)
    }
  }

  /**
   * Every key matching `pattern` on the node that holds the slot of `sameSlotAs` (the server itself when it is
   * not a Cluster), a batch at a time. SCAN never blocks the server; a key may come twice.
   */
  async *scan(sameSlotAs: Buffer, pattern: Buffer, count: number): AsyncGenerator<Buffer[], void, undefined> {
    for (const node of await this.nodesHolding(sameSlotAs)) {
      let cursor = '0'
      do {
        let reply: [Buffer, Buffer[]]
        try {
          reply = (await node.callBuffer('SCAN', [cursor, 'MATCH', pattern, 'COUNT', count])) as [Buffer, Buffer[]]
        } catch (error) {
          throw this.failure(error)
        }
        cursor = reply[0].toString()
        if (reply[1].length > 0) yield reply[1]
      } while (cursor !== '0')
    }
  }

  /** The master that serves `key`'s slot; every master when the Cluster's slot table does not say. */
  private async nodesHolding(key: Buffer): Promise<Redis[]> {
    if (!this.cluster) return [this.client as Redis]
    const cluster = this.client as Cluster
    const slot = (await this.call('CLUSTER', 'KEYSLOT', key)) as number
    const masters = cluster.nodes('master')
    const owner = masters.find((node) => `${node.options.host}:${node.options.port}` === cluster.slots[slot]?.[0])
    return owner === undefined ? masters : [owner]
  }

  /**
   * Makes the commands of this event turn leave in one socket write. ioredis writes each command as it is
   * made, a system call each, so an app's many concurrent gets cost several times what their round trips
   * do. Only on a standalone connection that is up: a Cluster client writes to a socket per node, and
   * commands made before the connection is ready wait in ioredis's queue anyway.
   */
  private coalesce(): void {
    if (this.corked || this.cluster || this.client.status !== 'ready') return
    const stream = (this.client as Redis).stream
    if (stream === undefined) return
    this.corked = true
    stream.cork()
    // After this turn's synchronous work and promise callbacks: no round trip waits for a later turn.
    process.nextTick(() => {
      this.corked = false
      stream.uncork()
    })
  }

  /** The key prefix of kv's keys on this server. */
  get prefix(): string {
    return this.identity.prefix
  }

  acquire(): this {
    this.refs++
    return this
  }

  /** Drops one user; the last one closes the client (unless the app owns it). */
  async release(): Promise<void> {
    if (--this.refs > 0) return
    this.onLastRelease()
    if (this.owned) await this.client.quit().catch(() => this.client.disconnect())
  }

  /** What the engine reports for a failed command: one line naming the server and the cause. */
  failure(error: unknown): KvError {
    return commandFailure(error, this.display, this.identity, this.cluster)
  }
}

const pool = new Map<string, Promise<Connection>>()

/** A connection to the target, shared with other users of the same URL in this process. */
export async function connect(target: RedisTarget, url: string): Promise<Connection> {
  const shared = pool.get(url)
  if (shared !== undefined) return (await shared).acquire()
  const connecting = open(target, () => pool.delete(url))
  pool.set(url, connecting)
  try {
    return await connecting
  } catch (error) {
    pool.delete(url)
    throw error
  }
}

/** A connection over a client the app already holds (a Redis or a Cluster); kv never closes it. */
export async function adopt(client: RedisClientLike, prefix: string): Promise<Connection> {
  const cluster = typeof (client as unknown as Cluster).nodes === 'function' && (client as unknown as {isCluster?: boolean}).isCluster === true
  const options = cluster ? (client as unknown as Cluster).options.redisOptions : (client as unknown as Redis).options
  const identity = {user: options?.username ?? 'default', prefix}
  const connection = new Connection(client as unknown as Client, cluster, 'the Redis client the app passed', identity, false, () => {})
  await checkServer(connection)
  return connection
}

async function open(target: RedisTarget, onLastRelease: () => void): Promise<Connection> {
  const {Redis, Cluster} = await import('ioredis')
  const options: RedisOptions = {
    username: target.username,
    password: target.password,
    tls: target.tls ? {} : undefined,
    connectTimeout: target.connectTimeoutMs,
    commandTimeout: target.commandTimeoutMs,
    lazyConnect: true,
    // A lost connection fails the commands waiting on it at the first retry (exit 4 instead of a hang), and is
    // made again for as long as the server is away, so that an app's open namespace works again once it is back.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    // kv disconnects only a client it gives up on. ioredis then waits this long for the socket's "close", which
    // a refused connect has already had: its timer kept an app's process alive 2 s after the open failed.
    disconnectTimeout: 0,
  }
  const identity = {user: target.username ?? 'default', prefix: target.prefix}
  const where = target.display
  const {probe, info} = await firstAnswering(Redis, target, options, identity)
  let connection: Connection
  if (!/cluster_enabled:1/.test(info)) {
    connection = new Connection(probe, false, where, identity, true, onLastRelease)
  } else {
    const clusterInfo = await probe.call('CLUSTER', 'INFO').then(String, (error: unknown) => (error instanceof Error ? error : new Error(String(error))))
    probe.disconnect()
    if (clusterInfo instanceof Error) throw commandFailure(clusterInfo, where, identity, true)
    const state = clusterInfo.match(/cluster_state:(\w+)/)?.[1]
    if (state !== 'ok') throw new KvError('STORAGE_FAILURE', `the Redis Cluster at ${where} is not ready (cluster_state:${state ?? 'unknown'})`)
    // Auto-pipelining stays off on a Cluster: it has open bugs there.
    const cluster = new Cluster(target.nodes, {
      redisOptions: {...options, retryStrategy: undefined} as RedisOptions,
      lazyConnect: true,
      enableAutoPipelining: false,
      slotsRefreshTimeout: target.connectTimeoutMs,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    })
    try {
      await connectWithin(cluster, target.connectTimeoutMs, () => cluster.connect())
    } catch (error) {
      throw new KvError('STORAGE_FAILURE', `cannot connect to the Redis Cluster at ${where}: ${describeConnectFailure(error)}`, {cause: error})
    }
    connection = new Connection(cluster, true, where, identity, true, onLastRelease)
  }
  try {
    await checkServer(connection)
  } catch (error) {
    await connection.release()
    throw error
  }
  return connection
}

/**
 * Refuses a server that may evict kv's keys: eviction would silently lose data and leave the indexes
 * naming keys that are gone. Only the volatile-* policies are safe (they evict only keys with a TTL, which
 * kv gives only to an import's staged chunks, and a commit notices a missing one, and to a meta hash being
 * created, which the next open writes again). And a user who may not run all of kv's commands on its keys.
 */
async function checkServer(connection: Connection): Promise<void> {
  const [infos, refused] = await Promise.all([
    connection.onEveryMaster('INFO', 'memory'),
    refusedCommands(connection, Buffer.from(registryKeys(connection.prefix).registry)),
  ])
  for (const info of infos) {
    const policy = String(info).match(/maxmemory_policy:(\S+)/)?.[1]
    if (policy !== undefined && policy.startsWith('allkeys-')) {
      throw new KvError(
        'STORAGE_FAILURE',
        `the Redis server at ${connection.display} has maxmemory-policy ${policy}, which can evict kv's keys and lose data silently: set maxmemory-policy noeviction`,
      )
    }
  }
  if (refused.length > 0) throw connection.failure(new Error(`NOPERM may not run ${refused.join(', ')} on kv's keys`))
}
