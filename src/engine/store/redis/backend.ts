import {isKvError} from '../../errors.js'
import {formatTooNew, namespaceExists, namespaceNotFound} from '../errors.js'
import type {StoreLocation} from '../location.js'
import type {StoreCheck} from '../check.js'
import {encodeRetention} from '../retention.js'
import type {CreateOptions, Store, StoreBackend} from '../store.js'
import {adopt, connect, type Connection} from './connection.js'
import {pendingImports, rollForward} from './import.js'
import {NamespaceKeys, randomId, registryKeys} from './layout.js'
import {FREE, FREE_HISTORY, REGISTER, UNREGISTER, UPGRADE} from './scripts.js'
import {RedisStore} from './store.js'
import {DEFAULT_PREFIX} from './url.js'

/**
 * The storage format of a namespace on Redis (see scripts.ts and store/record.ts), kept in its meta hash:
 * 3 has revisions and history; 2 (the same without them) is upgraded on open.
 */
export const FORMAT = 3
/** Keys one FREE script removes: about a millisecond of the server's time. */
const FREE_CHUNK = 1000
/** Revisions whose history one FREE_HISTORY script removes (each lists at most 1,000 keys, most far fewer). */
const FREE_HISTORY_REVISIONS = 50

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
  async create(name: string, {retention, now}: CreateOptions): Promise<void> {
    const keys = new NamespaceKeys(this.connection.prefix, randomId())
    await this.connection.call(
      'HSET',
      keys.meta,
      'name',
      name,
      'format',
      String(FORMAT),
      'created',
      String(now),
      // Revision 0 is the empty namespace; history is kept from here on as `retention` says.
      'rev',
      '0',
      'oldest',
      '0',
      'oldestAt',
      String(now),
      'cleaned',
      '0',
      'retention',
      encodeRetention(retention),
    )
    const registered = (await this.connection.script(REGISTER, [this.registry], [name, keys.id])) as number
    if (registered === 0) {
      await this.connection.call('UNLINK', keys.meta)
      throw namespaceExists(name)
    }
  }

  async open(name: string, {create, ...options}: CreateOptions & {create: boolean}): Promise<Store> {
    let id = await this.idOf(name)
    if (id === undefined) {
      if (!create) throw namespaceNotFound(name)
      try {
        await this.create(name, options)
      } catch (error) {
        // Another process created it first: that is what we wanted.
        if (!isKvError(error, 'NAMESPACE_EXISTS')) throw error
      }
      id = await this.idOf(name)
      if (id === undefined) throw namespaceNotFound(name)
    }
    const keys = new NamespaceKeys(this.connection.prefix, id)
    const fields = (await this.connection.call('HGETALL', keys.meta)) as Buffer[]
    const formatAt = fields.findIndex((field, i) => i % 2 === 0 && field.toString() === 'format')
    // Deleted between the two reads.
    if (formatAt === -1) throw namespaceNotFound(name)
    let format = Number(fields[formatAt + 1].toString())
    if (format === 2) format = (await this.connection.script(UPGRADE, [keys.meta], [encodeRetention(options.retention), String(options.now)])) as number
    if (format !== FORMAT) throw formatTooNew(name, format, FORMAT)
    let pending = pendingImports(fields)
    if (pending.length > 0) {
      try {
        await rollForward(this.connection, keys, pending, options.now)
        pending = []
      } catch (error) {
        // The namespace stays readable; its next write goes on with the import (and says why it cannot).
        if (!isKvError(error, 'IMPORT_INCOMPLETE')) throw error
      }
    }
    return new RedisStore(this.connection.acquire(), keys, pending)
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

  /**
   * Frees a deleted namespace's data. Its meta hash is renamed first (open handles' next writes then fail:
   * no script finds it) and kept under another name until the end, since it says what there is to free; a
   * free that dies half-way is finished by the next one from there.
   */
  private async free(id: string): Promise<void> {
    const keys = new NamespaceKeys(this.connection.prefix, id)
    if (((await this.connection.call('EXISTS', keys.meta)) as number) === 1) await this.connection.call('RENAME', keys.meta, keys.freeing)
    const [cleaned, revision] = (await this.connection.call('HMGET', keys.freeing, 'cleaned', 'rev')) as (Buffer | null)[]
    // Imports being committed: their remaining chunks are permanent, so they go too.
    for (const {importId, count} of pendingImports((await this.connection.call('HGETALL', keys.freeing)) as Buffer[])) {
      for (let n = 0; n < count; n++) await this.connection.call('UNLINK', keys.stage(importId, n))
    }
    // Every past entry and delete is listed by a revision after `cleaned` (scripts.ts).
    const last = Number(revision?.toString() ?? 0)
    for (let first = Number(cleaned?.toString() ?? 0) + 1; first <= last; first += FREE_HISTORY_REVISIONS) {
      await this.connection.script(FREE_HISTORY, [keys.freeing], [keys.tp, first, Math.min(last, first + FREE_HISTORY_REVISIONS - 1)])
    }
    while (((await this.connection.script(FREE, [keys.keys, keys.exp], [keys.rprefix, FREE_CHUNK])) as number) === FREE_CHUNK);
    await this.connection.call('UNLINK', keys.freeing)
    await this.connection.call('SREM', this.trash, id)
  }
}
