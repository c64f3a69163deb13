import {checkNamespaceName} from '../engine/limits.js'
import type {Namespace} from '../engine/namespace.js'
import {openNamespace, type OpenOptions} from '../engine/open.js'

/**
 * A namespace opened on first use, for stores an ecosystem constructs synchronously (Keyv's, express-session's),
 * and created then unless `create: false`: such a store owns its data, as a database table's first write would.
 * The name is checked at once; a failed open (a server not up yet) is tried again by the next call.
 */
export class LazyNamespace {
  private opening: Promise<Namespace> | undefined

  constructor(
    readonly name: string,
    private readonly options: OpenOptions,
  ) {
    checkNamespaceName(name)
  }

  get(): Promise<Namespace> {
    if (this.opening === undefined) {
      const opening = openNamespace(this.name, {create: true, ...this.options})
      this.opening = opening
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined
      })
    }
    return this.opening
  }

  /** Closes the namespace if it was opened; the next call opens it again. */
  async close(): Promise<void> {
    const opening = this.opening
    this.opening = undefined
    const namespace = await opening?.catch(() => undefined)
    await namespace?.close()
  }
}
