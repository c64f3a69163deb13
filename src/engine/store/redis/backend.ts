import {isKvError} from '../../errors.js'
import {formatTooNew, namespaceExists, namespaceNotFound} from '../errors.js'
import type {StoreLocation} from '../location.js'
import type {StoreCheck} from '../check.js'
import type {Store, StoreBackend} from '../store.js'
import {adopt, connect, type Connection} from './connection.js'
import {rollForward} from './import.js'
import {NamespaceKeys, randomId, registryKeys} from './layout.js'
import {FREE, REGISTER, UNREGISTER} from './scripts.js'
import {RedisStore} from './store.js'
import {DEFAULT_PREFIX} from './url.js'

/** The storage format of a namespace on Redis (see scripts.ts and store/record.ts), kept in its meta hash. */
export const FORMAT = 2
/** Keys one FREE script removes: about a millisecond of the server's time. */
const FREE_CHUNK = 1000

/** Namespaces on a Redis / Valkey server or Cluster: a registry of names, each namespace under its own hash tag. */
export class RedisBackend implements StoreBackend {
  private readonly registry: Buffer
  private readonly trash: Buffer

  private constructor(private readonly connection: Connection) {
    const {registry, trash} = registryKeys(connection.prefix)
    this.registry = Buffer.from(registry)
    this.trash = Buffer.from(trash)
  }

  static async connect(location: Exclude<StoreLocation, {kind: 'lmdb'}>): Promise<RedisBackend> {
    const connection = location.kind === 'redis' ? await connect(location.target, location.url) : await adopt(location.client, DEFAULT_PREFIX)
    return new RedisBackend(connection)
  }

  get description(): string {
    return this.connection.display
  }

  async exists(name: string): Promise<boolean> {
    return (await this.idOf(name)) !== undefined
  }

  /** The meta hash first, then the name: a name in the registry always leads to a namespace. */
  async create(name: string): Promise<void> {
    const keys = new NamespaceKeys(this.connection.prefix, randomId())
    await this.connection.call('HSET', keys.meta, 'name', name, 'format', String(FORMAT), 'created', String(Date.now()))
    const registered = (await this.connection.script(REGISTER, [this.registry], [name, keys.id])) as number
    if (registered === 0) {
      await this.connection.call('UNLINK', keys.meta)
      throw namespaceExists(name)
    }
  }

  async open(name: string, {create}: {create: boolean}): Promise<Store> {
    let id = await this.idOf(name)
    if (id === undefined) {
      if (!create) throw namespaceNotFound(name)
      try {
        await this.create(name)
      } catch (error) {
        // Another process created it first: that is what we wanted.
        if (!isKvError(error, 'NAMESPACE_EXISTS')) throw error
      }
      id = await this.idOf(name)
      if (id === undefined) throw namespaceNotFound(name)
    }
    const keys = new NamespaceKeys(this.connection.prefix, id)
    const meta = (await this.connection.call('HMGET', keys.meta, 'format', 'committing')) as (Buffer | null)[]
    // Deleted between the two reads.
    if (meta[0] === null) throw namespaceNotFound(name)
    const format = Number(meta[0].toString())
    if (format !== FORMAT) throw formatTooNew(name, format, FORMAT)
    if (meta[1] !== null) await rollForward(this.connection, keys, meta[1].toString())
    return new RedisStore(this.connection.acquire(), keys)
  }

  async names(): Promise<string[]> {
    const names = (await this.connection.call('HKEYS', this.registry)) as Buffer[]
    return names.sort(Buffer.compare).map((name) => name.toString())
  }

  /**
   * Removes the name and queues the data in one step (the namespace is gone at once), drops its meta hash so
   * that processes that still have it open fail their next write instead of writing into the void, then
   * frees its keys a thousand at a time. A delete that dies half-way is finished by the next one.
   */
  async remove(name: string): Promise<void> {
    const id = await this.idOf(name)
    if (id === undefined) throw namespaceNotFound(name)
    const removed = (await this.connection.script(UNREGISTER, [this.registry, this.trash], [name, id])) as number
    if (removed === 0) throw namespaceNotFound(name)
    const trash = ((await this.connection.call('SMEMBERS', this.trash)) as Buffer[]).map((member) => member.toString())
    for (const queued of [id, ...trash.filter((other) => other !== id)]) await this.free(queued)
  }

  /** Read-only: an import being committed is left for the next open to finish (store/redis/check.ts). */
  async check(name: string, {now}: {now: number}): Promise<StoreCheck> {
    const id = await this.idOf(name)
    if (id === undefined) throw namespaceNotFound(name)
    const {checkRedisNamespace} = await import('./check.js')
    return checkRedisNamespace(this.connection, new NamespaceKeys(this.connection.prefix, id), now)
  }

  async close(): Promise<void> {
    await this.connection.release()
  }

  private async idOf(name: string): Promise<string | undefined> {
    const id = (await this.connection.call('HGET', this.registry, name)) as Buffer | null
    return id === null ? undefined : id.toString()
  }

  private async free(id: string): Promise<void> {
    const keys = new NamespaceKeys(this.connection.prefix, id)
    const committing = (await this.connection.call('HGET', keys.meta, 'committing')) as Buffer | null
    await this.connection.call('UNLINK', keys.meta)
    if (committing !== null) {
      // An import was being committed: its remaining chunks are permanent, so they go too.
      const [importId, count] = committing.toString().split(':')
      for (let n = 0; n < Number(count); n++) await this.connection.call('UNLINK', keys.stage(importId, n))
    }
    while (((await this.connection.script(FREE, [keys.keys, keys.exp], [keys.rprefix, FREE_CHUNK])) as number) === FREE_CHUNK);
    await this.connection.call('SREM', this.trash, id)
  }
}
