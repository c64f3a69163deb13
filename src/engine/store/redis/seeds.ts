import type {Cluster, Redis, RedisOptions} from 'ioredis'

import {KvError} from '../../errors.js'
import {reasonOf} from '../errors.js'
import {describeConnectFailure, isPermissionDenied, NOT_TLS, permissionFailure, speaksPlainRedis, type Identity} from './reasons.js'
import type {RedisTarget} from './url.js'

/**
 * Connecting to the servers a store URL names: every seed node at once, the first that answers kept (any
 * reachable seed must do), with kv's own ready check, and one line saying why when none can be used.
 */

type Place = {host: string; port: number} | {path: string}

/** Why one seed could not be used: `connected` once it took the connection (and the password). */
class SeedFailure extends Error {
  constructor(
    readonly place: Place,
    readonly connected: boolean,
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, {cause})
  }
}

/**
 * Connects to every seed node at once and keeps the first that answers INFO: any reachable seed must do (the
 * first node of a Cluster's URL may be a master that has just failed over). The others are dropped.
 */
export async function firstAnswering(RedisClient: typeof Redis, target: RedisTarget, options: RedisOptions, identity: Identity): Promise<{probe: Redis; info: string}> {
  const places: Place[] = target.socket === undefined ? target.nodes.map(({host, port}) => ({host, port})) : [{path: target.socket}]
  const attempts = places.map((place) => probeSeed(RedisClient, place, target, options, identity))
  let first: {probe: Redis; info: string}
  try {
    first = await Promise.any(attempts)
  } catch (error) {
    throw seedsFailure(target.display, (error as AggregateError).errors as SeedFailure[])
  }
  for (const attempt of attempts) {
    attempt.then(({probe}) => probe !== first.probe && probe.disconnect(), () => {})
  }
  return first
}

async function probeSeed(RedisClient: typeof Redis, place: Place, target: RedisTarget, options: RedisOptions, identity: Identity): Promise<{probe: Redis; info: string}> {
  // kv's own ready check (serverInfo): ioredis's would print a warning of its own for a user who may not run INFO.
  const client = new RedisClient({...options, ...place, db: target.db, enableReadyCheck: false})
  let connected = false
  const tcp = 'host' in place ? place : undefined
  const tls = target.tls && tcp !== undefined ? watchForPlainServer(tcp) : undefined
  try {
    const info = await connectWithin(client, target.connectTimeoutMs, async () => {
      await client.connect()
      connected = true
      return serverInfo(client)
    }, tls?.found)
    // For the reconnects to come, ioredis's ready check: this user may run INFO.
    client.options.enableReadyCheck = true
    return {probe: client, info}
  } catch (error) {
    const reason = reasonOf(error)
    if (tls !== undefined && tcp !== undefined && !connected && (reason === NOT_TLS || (await speaksPlainRedis(tcp.host, tcp.port, PLAIN_CHECK_MS)))) {
      throw new SeedFailure(place, false, NOT_TLS, error)
    }
    if (connected && isPermissionDenied(reason)) throw new SeedFailure(place, true, permissionFailure(reason, identity, false), error)
    // A wrong password shows only once connected (the ready check is kv's own), but it is a failure to connect.
    if (connected && !/WRONGPASS|NOAUTH/.test(reason)) throw new SeedFailure(place, true, reason, error)
    throw new SeedFailure(place, false, describeConnectFailure(error), error)
  } finally {
    tls?.stop()
  }
}

/** One line for seeds none of which could be used: the cause, or each seed's when they differ. */
function seedsFailure(where: string, failures: SeedFailure[]): KvError {
  const reasons = new Set(failures.map((failure) => failure.reason))
  const [first] = failures
  if (reasons.size === 1) {
    const message = first.connected ? `storage failure on ${where}: ${first.reason}` : `cannot connect to the Redis server at ${where}: ${first.reason}`
    return new KvError('STORAGE_FAILURE', message, {cause: first.cause})
  }
  const each = failures.map(({place, reason}) => `${'path' in place ? place.path : `${place.host}:${place.port}`}: ${reason}`)
  return new KvError('STORAGE_FAILURE', `cannot connect to any node of ${where}: ${each.join('; ')}`, {cause: first.cause})
}

/** How long a TLS handshake may take before kv asks whether a plain server is listening, and how long that asking may take. */
const PLAIN_CHECK_AFTER_MS = 300
const PLAIN_CHECK_MS = 1000

/**
 * A TLS connection to a plain server hangs until the connect timeout: after a moment without a handshake, a
 * plain PING tells whether that is what listens (`found` rejects with NOT_TLS), so the user hears it at once.
 */
function watchForPlainServer({host, port}: {host: string; port: number}): {found: Promise<never>; stop(): void} {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const found = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void speaksPlainRedis(host, port, PLAIN_CHECK_MS).then((plain) => plain && !stopped && reject(new Error(NOT_TLS)))
    }, PLAIN_CHECK_AFTER_MS)
  })
  found.catch(() => {})
  return {
    found,
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}

/** INFO once the server has loaded its data, as ioredis's ready check waits (bounded by connectWithin). */
async function serverInfo(client: Redis): Promise<string> {
  for (;;) {
    const info = String(await client.info())
    if (!/^loading:1/m.test(info)) return info
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Runs `ready` (a connect, and what must answer after it), or fails with the reason within `ms`. ioredis's
 * own connectTimeout ends at the TCP handshake, so a server that accepts and then does not answer (or is
 * busy: a long script, DEBUG SLEEP) would leave the check waiting; and its rejection says only "Connection
 * is closed", the cause having gone to the 'error' event, which is kept here. `alsoFails` may end it sooner.
 */
export async function connectWithin<T>(client: Redis | Cluster, ms: number, ready: () => Promise<T>, alsoFails?: Promise<never>): Promise<T> {
  let cause: unknown
  // Without a listener ioredis would also log every failure; kv reports them through the rejected call.
  client.on('error', (error) => {
    cause ??= error
  })
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([ready(), timedOut, ...(alsoFails ? [alsoFails] : [])])
  } catch (error) {
    client.disconnect()
    throw (error as Error).message === NOT_TLS ? error : (cause ?? error)
  } finally {
    clearTimeout(timer)
  }
}
