import keyvTestSuite, {keyvIteratorTests} from '@keyv/test-suite'
import {createCache} from 'cache-manager'
import Keyv, {type KeyvOptions, type KeyvStoreAdapter} from 'keyv'
import * as vitest from 'vitest'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {KeyvStore} from '../../src/adapters/keyv.js'
import {createNamespace, openNamespace, type OpenOptions} from '../../src/index.js'
import {all, manualClock} from '../helpers.js'
import {freshLocation} from '../store-under-test.js'

// KeyvStore (src/adapters/keyv.ts) on the store under test: Keyv's own adapter suite first, then what the
// suite does not pin down (namespaces that share a prefix, expiry by kv's clock, lazy opening, cache-manager).

// Where this test's stores keep their namespace: a fresh place for every test.
let location: OpenOptions
const stores: KeyvStore[] = []

beforeEach(() => {
  location = freshLocation()
})

afterEach(async () => {
  for (const store of stores.splice(0)) await store.disconnect()
})

/** A store on this test's place (the suite makes several per test, and expects them to share the data). */
function store(name = 'default', options: OpenOptions = {}): KeyvStore {
  const made = new KeyvStore(name, {...location, create: true, ...options})
  stores.push(made)
  return made
}

/**
 * The kv namespace's keys and parsed values, read through a handle of its own opened now (a handle's reads
 * within one event turn share one LMDB snapshot, which may predate another handle's write).
 */
async function kvContents(): Promise<Record<string, unknown>> {
  const ns = await openNamespace('default', location)
  try {
    const contents: Record<string, unknown> = {}
    for await (const entry of ns.entries()) contents[entry.name] = JSON.parse(new TextDecoder().decode(entry.value))
    return contents
  } finally {
    await ns.close()
  }
}

/** Keyv, with its iterator wired to the store's as the README says (Keyv 5 wires only its own adapters'). */
class IteratingKeyv extends Keyv {
  constructor(options?: KeyvOptions) {
    super(options)
    if (this.store instanceof KeyvStore) this.iterator = this.generateIterator(this.store.iterator.bind(this.store))
  }
}

// Compiled only: the store is Keyv's adapter type.
export const adapterType: () => KeyvStoreAdapter = () => new KeyvStore()

describe('@keyv/test-suite', () => {
  keyvTestSuite(vitest, Keyv, () => store())
  keyvIteratorTests(vitest, IteratingKeyv as typeof Keyv, () => store())
})

describe('KeyvStore (./keyv)', () => {
  it('keeps each Keyv namespace under a prefix of its own, also when one namespace starts with another', async () => {
    const shared = () => store()
    const plain = new Keyv({store: shared(), namespace: 'a'})
    const nested = new Keyv({store: shared(), namespace: 'a:b'})
    const percent = new Keyv({store: shared(), namespace: 'a%3Ab'})
    await plain.set('b:x', 'plain')
    await nested.set('x', 'nested')
    await percent.set('x', 'percent')
    expect([await plain.get('b:x'), await nested.get('x'), await percent.get('x')]).toEqual(['plain', 'nested', 'percent'])
    await plain.clear()
    expect([await plain.get('b:x'), await nested.get('x'), await percent.get('x')]).toEqual([undefined, 'nested', 'percent'])
    await nested.clear()
    expect([await nested.get('x'), await percent.get('x')]).toEqual([undefined, 'percent'])
    await new Keyv({store: shared()}).set('user:1', {name: 'ana'})

    // What the kv namespace holds: readable keys, Keyv's serialized values.
    expect(await kvContents()).toEqual({'a%253Ab:x': {value: 'percent'}, 'keyv:user:1': {value: {name: 'ana'}}})
  })

  it('without a namespace uses the kv keys as they are, and clear() empties the kv namespace', async () => {
    const keyv = new Keyv({store: store(), useKeyPrefix: false})
    keyv.namespace = undefined
    await keyv.set('flag:beta', true)
    expect(await keyv.get('flag:beta')).toBe(true)
    expect(await kvContents()).toEqual({'flag:beta': {value: true}})
    await keyv.clear()
    expect(await kvContents()).toEqual({})
  })

  it('expires keys by kv\'s clock: the TTL in milliseconds becomes the key\'s expiry time', async () => {
    const clock = manualClock(Date.now())
    const adapter = store('default', {clock})
    await adapter.set('session', '"s"', 1500)
    await adapter.set('forever', '"f"', 0)
    const ns = await openNamespace('default', location)
    try {
      expect((await ns.getEntry('session'))?.expiresAt).toBe(clock() + 1500)
      expect((await ns.getEntry('forever'))?.expiresAt).toBeNull()
    } finally {
      await ns.close()
    }
    clock.advance(1499)
    expect(await adapter.get('session')).toBe('"s"')
    clock.advance(1)
    expect(await adapter.get('session')).toBeUndefined()
    expect(await adapter.has('session')).toBe(false)
    expect(await adapter.getMany(['session', 'forever'])).toEqual([undefined, '"f"'])
    expect(await all(adapter.iterator())).toEqual([['forever', '"f"']])
    // A TTL that has run out leaves no key.
    await adapter.set('forever', '"gone"', -1)
    expect(await adapter.has('forever')).toBe(false)
  })

  it('sets many keys all or nothing, and reads many in the order asked', async () => {
    const adapter = store()
    adapter.namespace = 'n'
    await expect(adapter.setMany([{key: 'n:a', value: '1'}, {key: `n:${'x'.repeat(600)}`, value: '2'}])).rejects.toMatchObject({code: 'KEY_TOO_LONG'})
    expect(await adapter.has('n:a')).toBe(false)
    await adapter.setMany([{key: 'n:a', value: '1'}, {key: 'n:b', value: '2', ttl: 60_000}])
    expect(await adapter.getMany(['n:b', 'n:missing', 'n:a', 'n:b'])).toEqual(['2', undefined, '1', '2'])
    expect(await adapter.hasMany(['n:a', 'n:missing'])).toEqual([true, false])
    expect(await adapter.deleteMany(['n:missing'])).toBe(false)
    expect(await adapter.deleteMany(['n:a', 'n:missing'])).toBe(true)
    await expect(adapter.set('n:c', {value: 1} as unknown as string)).rejects.toThrow(TypeError)
  })

  it('opens on first use; a namespace that is missing fails that call and is found once it exists', async () => {
    const adapter = new KeyvStore('cache', {...location, create: false})
    stores.push(adapter)
    const keyv = new Keyv({store: adapter, throwOnErrors: true})
    await expect(keyv.set('k', 'v')).rejects.toMatchObject({code: 'NAMESPACE_NOT_FOUND'})
    await createNamespace('cache', location)
    expect(await keyv.set('k', 'v')).toBe(true)
    expect(await keyv.get('k')).toBe('v')
    expect(() => new KeyvStore('Not A Name')).toThrow(expect.objectContaining({code: 'NAMESPACE_NAME_INVALID'}))
  })

  it('is a cache-manager store, as the README shows it', async () => {
    const cache = createCache({stores: [new Keyv({store: store('default'), namespace: 'cache'})]})
    await cache.set('user:1', {name: 'ana'}, 60_000)
    expect(await cache.get('user:1')).toEqual({name: 'ana'})
    const remaining = (await cache.ttl('user:1'))! - Date.now()
    expect(remaining).toBeGreaterThan(50_000)
    expect(remaining).toBeLessThanOrEqual(60_000)
    let calls = 0
    const load = async () => ({loaded: ++calls})
    expect(await cache.wrap('computed', load, 60_000)).toEqual({loaded: 1})
    expect(await cache.wrap('computed', load, 60_000)).toEqual({loaded: 1})
    expect(await cache.del('user:1')).toBe(true)
    expect(await cache.get('user:1')).toBeUndefined()
    await cache.disconnect()
  })
})
