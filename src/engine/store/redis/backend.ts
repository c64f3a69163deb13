import {isKvError} from '../../errors.js'
import {formatTooNew, namespaceExists, namespaceNotFound} from '../errors.js'
import type {StoreLocation} from '../location.js'
import type {StoreCheck} from '../check.js'
import {encodeRetention} from '../retention.js'
import type {CreateOptions, Store, StoreBackend} from '../store.js'
import {adopt, connect, type Connection} from './connection.js'
import {pendingImports, rollForward} from './import.js'
import {NamespaceKeys, randomId, registryKeys} from './layout.js'
import {CREATE_META, FREE, FREE_HISTORY, REGISTER, UNREGISTER, UPGRADE} from './scripts.js'
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
/** How long a new namespace's meta hash lives until its create has checked that the name is still its own. */
const CREATING_TTL_MS = 10 * 60 * 1000

/** A field of a meta hash as HGETALL gives it, or undefined. */
function metaField(fields: Buffer[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i].toString() === name) return fields[i + 1].toString()
  return undefined
}

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

  /**
   * The meta hash first, expiring, then the name: registering it is the one step that creates the namespace
   * (the registry and the meta hash are in two slots of a Cluster, which no script can change together); then
   * the meta hash is made permanent. A create that fails or is killed before registering leaves only a meta
   * hash that expires; one killed after it leaves an expiring meta hash that the next open makes permanent.
   */
  async create(name: string, options: CreateOptions): Promise<void> {
    const id = randomId()
    const {meta} = new NamespaceKeys(this.connection.prefix, id)
    await this.writeMeta(name, meta, options)
    let registered: number
    try {
      registered = (await this.connection.script(REGISTER, [this.registry], [name, id])) as number
    } catch (error) {
      await this.connection.call('UNLINK', meta).catch(() => {})
      throw error
    }
    if (registered === 0) {
      await this.connection.call('UNLINK', meta)
      throw namespaceExists(name)
    }
    await this.connection.call('PERSIST', meta)
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
    let [fields, creating] = await this.readMeta(keys)
    if (metaField(fields, 'format') === undefined || creating) {
      // A create that died before finishing (or is finishing now): complete it, unless the name went meanwhile.
      if (!(await this.completeCreate(name, id, options))) throw namespaceNotFound(name)
      ;[fields] = await this.readMeta(keys)
    }
    const format = metaField(fields, 'format')
    // Deleted between the two reads.
    if (format === undefined) throw namespaceNotFound(name)
    let stored = Number(format)
    if (stored === 2) stored = (await this.connection.script(UPGRADE, [keys.meta], [encodeRetention(options.retention), String(options.now)])) as number
    if (stored !== FORMAT) throw formatTooNew(name, stored, FORMAT)
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

  /** The meta hash's fields (name, value, ...), and whether it is still being created (it expires then). */
  private async readMeta(keys: NamespaceKeys): Promise<[Buffer[], boolean]> {
    const [fields, ttl] = (await this.connection.pipeline([
      ['HGETALL', keys.meta],
      ['PTTL', keys.meta],
    ])) as [Buffer[], number]
    return [fields, ttl >= 0]
  }

  /**
   * A new namespace's meta hash, expiring until its create has registered the name (see `create`): revision 0
   * is the empty namespace, and history is kept from `now` on as `retention` says.
   */
  private async writeMeta(name: string, meta: Buffer, {retention, now}: CreateOptions): Promise<void> {
    await this.connection.script(CREATE_META, [meta], [name, String(FORMAT), String(now), CREATING_TTL_MS, encodeRetention(retention)])
  }

  /**
   * Completes a create that died after registering the name (its meta hash still expiring, or expired): makes
   * the meta hash permanent once the name is known to be still registered to `id`, so that a delete meanwhile
   * (which frees the namespace's keys) cannot leave one behind that nothing would remove. Returns false when
   * the name went meanwhile.
   */
  private async completeCreate(name: string, id: string, options: CreateOptions): Promise<boolean> {
    const {meta} = new NamespaceKeys(this.connection.prefix, id)
    await this.writeMeta(name, meta, options)
    if ((await this.idOf(name)) !== id) {
      await this.connection.call('UNLINK', meta)
      return false
    }
    await this.connection.call('PERSIST', meta)
    return true
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
