import {chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {isKvError} from '../../errors.js'
import {namespaceExists, namespaceNotFound} from '../errors.js'
import type {StoreCheck} from '../check.js'
import type {CreateOptions, Store, StoreBackend} from '../store.js'
import {ensureFormat, openEnvironment, writeFormat} from './environment.js'
import {isErrno, storageCall, storageFailure} from './errors.js'
import {checkDataFile, DATA_FILE, prepareNewEnvironment, WriteBaseGuard} from './files.js'
import {gateFor} from './gate.js'
import {leftoverName, sweepLeftovers} from './leftovers.js'
import {entryCount, LmdbStore} from './store.js'

/** Namespace directories live under `<dataDir>/namespaces/`, one LMDB environment each. */
const NAMESPACES_DIR = 'namespaces'
const PRIVATE_DIR = 0o700
const PRIVATE_FILE = 0o600

/** Namespaces as directories of a local data dir, each one LMDB environment. */
export class LmdbBackend implements StoreBackend {
  readonly root: string

  constructor(readonly dataDir: string) {
    this.root = join(dataDir, NAMESPACES_DIR)
  }

  get description(): string {
    return this.dataDir
  }

  async exists(name: string): Promise<boolean> {
    return isDirectory(this.directoryOf(name))
  }

  /** Builds the environment in a private temporary directory and renames it into place, so a namespace
   * either exists complete (files 0600, format written) or not at all, and two racing creators cannot both succeed. */
  async create(name: string, options: CreateOptions): Promise<void> {
    const target = this.directoryOf(name)
    if (isDirectory(target)) throw namespaceExists(name)
    sweepLeftovers(this.root)
    const building = join(this.root, leftoverName('creating'))
    storageCall(name, () => {
      mkdirSync(this.root, {recursive: true, mode: PRIVATE_DIR})
      mkdirSync(building, {mode: PRIVATE_DIR})
    })
    try {
      const env = storageCall(name, () => {
        prepareNewEnvironment(building)
        return openEnvironment(building)
      })
      try {
        storageCall(name, () => writeFormat(env, options))
      } finally {
        await env.close()
      }
      storageCall(name, () => {
        for (const file of readdirSync(building)) chmodSync(join(building, file), PRIVATE_FILE)
        chmodSync(building, PRIVATE_DIR)
      })
      try {
        renameSync(building, target)
      } catch (error) {
        if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) throw namespaceExists(name)
        throw storageFailure(name, error)
      }
    } finally {
      rmSync(building, {recursive: true, force: true})
    }
  }

  async open(name: string, {create, ...options}: CreateOptions & {create: boolean}): Promise<Store> {
    const directory = this.directoryOf(name)
    let before = directoryId(directory)
    if (before === undefined) {
      if (!create) throw namespaceNotFound(name)
      try {
        await this.create(name, options)
      } catch (error) {
        // Another process created it first: that is what we wanted.
        if (!isKvError(error, 'NAMESPACE_EXISTS')) throw error
      }
      before = directoryId(directory)
    }
    const env = storageCall(name, () => {
      checkDataFile(join(directory, DATA_FILE))
      return openEnvironment(directory)
    })
    // lmdb-js creates a missing directory, so a namespace removed between the check and the open would come
    // back empty: notice, and undo it.
    if (directoryId(directory) !== before) {
      const empty = entryCount(env.records) === 0
      await env.close()
      if (empty) rmSync(directory, {recursive: true, force: true})
      throw namespaceNotFound(name)
    }
    let store: LmdbStore | undefined
    try {
      const guard = storageCall(name, () => new WriteBaseGuard(directory))
      store = new LmdbStore(name, directory, env, guard, gateFor(directory))
      await store.repairWriteBase()
      storageCall(name, () => ensureFormat(name, env, guard, options))
      return store
    } catch (error) {
      await (store ?? env).close()
      throw error
    }
  }

  async names(): Promise<string[]> {
    let entries: string[]
    try {
      entries = readdirSync(this.root)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return []
      throw storageFailure('(all)', error)
    }
    return entries.filter((entry) => !entry.startsWith('.') && isDirectory(join(this.root, entry))).sort()
  }

  async remove(name: string): Promise<void> {
    const removing = join(this.root, leftoverName('deleting'))
    try {
      renameSync(this.directoryOf(name), removing)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw namespaceNotFound(name)
      throw storageFailure(name, error)
    }
    storageCall(name, () => rmSync(removing, {recursive: true, force: true}))
    sweepLeftovers(this.root)
  }

  /** Reads the namespace in a child process (store/lmdb/check.ts): a damaged page cannot crash this one. */
  async check(name: string, {now}: {now: number}): Promise<StoreCheck> {
    for await (const {check} of this.checkEach([name], {now})) return check
    throw namespaceNotFound(name)
  }

  /** Reads them all in one child process (a new one after a namespace that made it abort). */
  async *checkEach(names: readonly string[], {now}: {now: number}): AsyncGenerator<{name: string; check: StoreCheck}, void, undefined> {
    const {checkEnvironments} = await import('./check.js')
    let i = 0
    for await (const {check} of checkEnvironments(names.map((name) => this.directoryOf(name)), now)) {
      const name = names[i++]
      if (check !== undefined) yield {name, check}
    }
  }

  async close(): Promise<void> {}

  private directoryOf(name: string): string {
    return join(this.root, name)
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Identifies a directory (device and inode), or undefined when there is none. */
function directoryId(path: string): string | undefined {
  try {
    const stat = statSync(path)
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}` : undefined
  } catch {
    return undefined
  }
}
