/**
 * Key names kv uses on a Redis server (see scripts.ts for what each holds). Every name starts with the
 * store URL's prefix (default "kv:"), so other keys on the same server are never listed, changed or deleted.
 */

/** The registry (name -> namespace id) and the trash (ids being freed): one slot of their own. */
export function registryKeys(prefix: string): {registry: string; trash: string} {
  return {registry: `${prefix}{registry}:namespaces`, trash: `${prefix}{registry}:trash`}
}

/**
 * One namespace, by its id: a random name per creation, so a namespace deleted and created again never
 * meets the keys of its predecessor that are still being freed.
 */
export class NamespaceKeys {
  readonly tag: string
  /** The tag and a colon: what every key of the namespace starts with (scripts build the others from it). */
  readonly tp: Buffer
  readonly meta: Buffer
  readonly keys: Buffer
  readonly exp: Buffer
  /** Prefix of every record key: the key's bytes follow. */
  readonly rprefix: Buffer

  constructor(prefix: string, readonly id: string) {
    this.tag = `${prefix}{${id}}`
    this.tp = Buffer.from(`${this.tag}:`)
    this.meta = Buffer.from(`${this.tag}:meta`)
    this.keys = Buffer.from(`${this.tag}:keys`)
    this.exp = Buffer.from(`${this.tag}:exp`)
    this.rprefix = Buffer.from(`${this.tag}:r:`)
  }

  record(key: Uint8Array): Buffer {
    return Buffer.concat([this.rprefix, key])
  }

  /** Where a deleted namespace's meta hash waits while its data is freed (backend.ts `free`). */
  get freeing(): Buffer {
    return Buffer.from(`${this.tag}:freeing`)
  }

  /** Prefix of an import's staged chunks: the chunk's number follows. */
  stagePrefix(importId: string): Buffer {
    return Buffer.from(`${this.tag}:stage:${importId}:`)
  }

  stage(importId: string, chunk: number): Buffer {
    return Buffer.from(`${this.tag}:stage:${importId}:${chunk}`)
  }
}

/** ZRANGE BYLEX bounds for [start, end): "[" includes start; "(" excludes end; "+" is past every key. */
export function lexBounds(start: Uint8Array, end: Uint8Array | undefined): [Buffer, Buffer] {
  return [Buffer.concat([Buffer.from('['), start]), end === undefined ? Buffer.from('+') : Buffer.concat([Buffer.from('('), end])]
}

/** A random id (base 36) for a namespace or an import; not from node:crypto, which is not needed for this. */
export function randomId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
}
