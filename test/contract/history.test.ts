import {describe, expect, it} from 'vitest'

import type {Change, Namespace} from '../../src/index.js'
import {TEST_STORE} from '../store-under-test.js'
import {expectBytes, expectKvError, freshNamespace, numberedKeys, open, T0} from './fixture.js'

/** Every retained change of the namespace, newest first, read a page at a time. */
async function allChanges(ns: Namespace, options: {key?: string; prefix?: string; values?: boolean} = {}): Promise<Change[]> {
  const changes: Change[] = []
  let cursor: string | null = null
  do {
    const page = await ns.history({...options, limit: 7, cursor})
    changes.push(...page.changes)
    cursor = page.cursor
  } while (cursor !== null)
  return changes
}

const summary = (change: Change) => `${change.revision} ${change.key} ${change.type}`

describe('revisions', () => {
  it('every write that changes something is the next revision; a write that changes nothing is none', async () => {
    const {ns} = await freshNamespace()
    expect((await ns.historyState()).revision).toBe(0)
    await ns.put('a', '1')
    await ns.put('b', '2')
    expect((await ns.getEntry('a'))?.revision).toBe(1)
    expect((await ns.getEntry('b'))?.revision).toBe(2)
    await ns.deleteMany(['a', 'b'])
    expect((await ns.historyState()).revision).toBe(3)
    // Deleting what is not there changes nothing.
    await ns.deleteMany(['a', 'missing'])
    await ns.deletePrefix('nothing-here:')
    expect((await ns.historyState()).revision).toBe(3)
    expect((await ns.stats()).revision).toBe(3)
    await ns.put('c', '3', {ifAbsent: true})
    expect(await ns.put('c', '4', {ifAbsent: true})).toBe(false)
    expect((await ns.historyState()).revision).toBe(4)
  })

  it('list and getEntry show the revision that last wrote each key', async () => {
    const {ns} = await freshNamespace()
    await ns.put('x', '1')
    await ns.put('y', '1')
    await ns.put('x', '2')
    const page = await ns.listPage()
    expect(page.keys.map((key) => [key.name, key.revision])).toEqual([
      ['x', 3],
      ['y', 2],
    ])
    expect((await ns.getEntry('x'))?.revision).toBe(3)
  })

  it('separate puts made at once are a revision each, in the order they were made', async () => {
    const {ns} = await freshNamespace()
    await Promise.all(numberedKeys(50).map((key, i) => ns.put(key, String(i))))
    expect((await ns.historyState()).revision).toBe(50)
    const changes = await allChanges(ns)
    expect(changes.map((change) => change.revision)).toEqual(Array.from({length: 50}, (_, i) => 50 - i))
    expect(changes.map((change) => change.key)).toEqual(numberedKeys(50).reverse())
  })

  it('an import is one revision (on Redis, one per chunk it applies), with every key it wrote in the log', async () => {
    const {ns} = await freshNamespace()
    const keys = numberedKeys(1200)
    const {revisions} = await ns.putAll(
      (async function* () {
        yield keys.map((key) => ({key, value: `v${key}`}))
      })(),
    )
    const state = await ns.historyState()
    if (TEST_STORE === 'lmdb') expect(revisions).toEqual({first: 1, last: 1})
    else expect(revisions).toEqual({first: 1, last: state.revision})
    expect(state.revision).toBeGreaterThanOrEqual(1)
    const changes = await allChanges(ns)
    expect(changes).toHaveLength(1200)
    expect(new Set(changes.map((change) => change.key)).size).toBe(1200)
    expect(changes.every((change) => change.operation === 'import' && change.type === 'put')).toBe(true)
  })
})

describe('who and when', () => {
  it('records the actor of the handle, of a single write, and the operation and commit time', async () => {
    const {ns, clock} = await freshNamespace('test', {actor: 'ana'})
    await ns.put('flag', 'on')
    clock.advance(1000)
    await ns.put('flag', 'off', {actor: 'ci@runner-7'})
    clock.advance(1000)
    await ns.incr('hits', {actor: 'app'})
    clock.advance(1000)
    await ns.delete('flag')
    await ns.batch((batch) => batch.put('b', '1'))
    const changes = await allChanges(ns)
    expect(changes.map((change) => [change.revision, change.key, change.type, change.actor, change.operation, change.at])).toEqual([
      [5, 'b', 'put', 'ana', 'batch', T0 + 3000],
      [4, 'flag', 'delete', 'ana', 'delete', T0 + 3000],
      [3, 'hits', 'put', 'app', 'incr', T0 + 2000],
      [2, 'flag', 'put', 'ci@runner-7', 'put', T0 + 1000],
      [1, 'flag', 'put', 'ana', 'put', T0],
    ])
  })

  it('without an actor, records user@host', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'v')
    const [change] = (await ns.history()).changes
    expect(change.actor).toMatch(/^[^@\s]+@[^@\s]+$/)
    expect(change.actor).toBe(ns.actor)
  })

  it('refuses an empty actor, one with control characters, or one over 256 bytes, writing nothing', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.put('k', 'v', {actor: ''}), 'ACTOR_INVALID')
    await expectKvError(ns.put('k', 'v', {actor: 'a\nb'}), 'ACTOR_INVALID')
    await expectKvError(ns.put('k', 'v', {actor: 'x'.repeat(257)}), 'ACTOR_INVALID')
    await expectKvError(open('test2', {create: true, actor: '\u0007'}), 'ACTOR_INVALID')
    expect((await ns.historyState()).revision).toBe(0)
  })
})

describe('history of a key and of the namespace', () => {
  it('lists one key newest first with size, expiry, metadata and (when asked) the value', async () => {
    const {ns} = await freshNamespace()
    await ns.put('cfg', 'one', {metadata: {v: 1}})
    await ns.put('other', 'x')
    await ns.put('cfg', 'two!', {expiresIn: 60})
    await ns.delete('cfg')
    await ns.put('cfg', new Uint8Array([0, 255]))
    const changes = await allChanges(ns, {key: 'cfg', values: true})
    expect(changes.map(summary)).toEqual(['5 cfg put', '4 cfg delete', '3 cfg put', '1 cfg put'])
    expect(changes.map((change) => [change.size, change.expiresAt, change.metadata])).toEqual([
      [2, null, null],
      [null, null, null],
      [4, T0 + 60_000, null],
      [3, null, {v: 1}],
    ])
    expectBytes(changes[0].value!, new Uint8Array([0, 255]))
    expect(changes[1].value).toBeNull()
    expect(Buffer.from(changes[3].value!).toString()).toBe('one')
    // Without `values`, no value.
    expect((await ns.history({key: 'cfg'})).changes[0]).not.toHaveProperty('value')
  })

  it('pages the namespace log through any length, and filters it by prefix', async () => {
    const {ns} = await freshNamespace()
    for (let i = 0; i < 30; i++) await ns.put(i % 3 === 0 ? `user:${i}` : `flag:${i}`, String(i))
    await ns.deleteMany(['flag:1', 'flag:2', 'user:3'])
    const all = await allChanges(ns)
    expect(all).toHaveLength(33)
    expect(all.slice(0, 3).map(summary).sort()).toEqual(['31 flag:1 delete', '31 flag:2 delete', '31 user:3 delete'])
    expect(all.slice(3).map((change) => change.revision)).toEqual(Array.from({length: 30}, (_, i) => 30 - i))
    const users = await allChanges(ns, {prefix: 'user:'})
    expect(users.map(summary)).toEqual(['31 user:3 delete', ...Array.from({length: 10}, (_, i) => `${28 - 3 * i} user:${27 - 3 * i} put`)])
  })

  it('a page boundary inside one revision of many keys loses and repeats nothing', async () => {
    const {ns} = await freshNamespace()
    await ns.batch((batch) => {
      for (const key of numberedKeys(25)) batch.put(key, key)
    })
    const keys = (await allChanges(ns)).map((change) => change.key)
    expect(keys.sort()).toEqual(numberedKeys(25))
  })

  it('rejects a cursor kv did not make, and a key with a prefix', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.history({cursor: 'Zm9v'}), 'CURSOR_INVALID')
    await expectKvError(ns.history({cursor: 'null'}), 'CURSOR_INVALID')
    await expectKvError(ns.history({key: 'a', prefix: 'b'}), 'USAGE')
  })

  it('an expired key is no change: its history shows the TTL it was written with', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('session', 's', {expiresIn: 10})
    clock.advance(20_000)
    await ns.purgeExpired()
    await ns.put('other', 'x')
    await ns.delete('session')
    const changes = await allChanges(ns, {key: 'session'})
    expect(changes.map(summary)).toEqual(['1 session put'])
    expect(changes[0].expiresAt).toBe(T0 + 10_000)
    expect((await ns.historyState()).revision).toBe(2)
  })
})

describe('reading the past', () => {
  it('get and getEntry at a revision give the key as it was then, and null where it did not exist', async () => {
    const {ns} = await freshNamespace()
    await ns.put('k', 'one', {metadata: {n: 1}})
    await ns.put('k', 'two')
    await ns.delete('k')
    await ns.put('k', 'three')
    const at = async (revision: number) => ns.get('k', {revision})
    expect([await at(0), await at(1), await at(2), await at(3), await at(4)]).toEqual([null, 'one', 'two', null, 'three'])
    expect((await ns.getEntry('k', {revision: 1}))?.metadata).toEqual({n: 1})
    expect((await ns.getEntry('k', {revision: 1}))?.revision).toBe(1)
    expect(await ns.get('k', {type: 'json', revision: 0})).toBeNull()
    expectBytes(await ns.get('k', {type: 'bytes', revision: 2}), Buffer.from('two'))
  })

  it('judges expiry by the time of the revision read', async () => {
    const {ns, clock} = await freshNamespace()
    await ns.put('s', 'live', {expiresIn: 10})
    clock.advance(5000)
    await ns.put('x', '1')
    clock.advance(10_000)
    await ns.put('y', '1')
    expect(await ns.get('s', {revision: 1})).toBe('live')
    expect(await ns.get('s', {revision: 2})).toBe('live')
    expect(await ns.get('s', {revision: 3})).toBeNull()
    expect(await ns.get('s')).toBeNull()
  })

  it('refuses a revision that is not a whole number or is newer than the current one', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await expectKvError(ns.get('a', {revision: 2}), 'REVISION_INVALID')
    await expectKvError(ns.get('a', {revision: -1}), 'REVISION_INVALID')
    await expectKvError(ns.getEntry('a', {revision: 1.5}), 'REVISION_INVALID')
    const error = await expectKvError(ns.revert({key: 'a', to: 9}), 'REVISION_INVALID')
    expect(error.message).toBe('revision 9 is newer than namespace "test"\'s current revision (1)')
  })
})

describe('revert', () => {
  it('puts a key back as it was (value, expiry, metadata) as one new revision that can itself be reverted', async () => {
    const {ns} = await freshNamespace()
    await ns.put('flags', '{"checkout":false}', {metadata: {owner: 'ana'}, expiresIn: 3600})
    await ns.put('flags', '{"checkout":true}')
    const result = await ns.revert({key: 'flags', to: 1})
    expect(result.revisions).toEqual({first: 3, last: 3})
    expect(result.changes.map((change) => [change.key, change.type, change.from?.revision, change.to?.revision])).toEqual([['flags', 'put', 2, 1]])
    const entry = (await ns.getEntry('flags'))!
    expect(Buffer.from(entry.value).toString()).toBe('{"checkout":false}')
    expect(entry.metadata).toEqual({owner: 'ana'})
    expect(entry.expiresAt).toBe(T0 + 3_600_000)
    const [change] = (await ns.history({key: 'flags'})).changes
    expect([change.operation, change.revertedTo]).toEqual(['revert', 1])
    // Undo the undo.
    await ns.revert({key: 'flags', to: 2})
    expect(await ns.get('flags')).toBe('{"checkout":true}')
  })

  it('deletes a key that did not exist then, and puts back one deleted since', async () => {
    const {ns} = await freshNamespace()
    await ns.put('old', 'o')
    await ns.put('new', 'n')
    await ns.delete('old')
    await ns.revert({prefix: '', to: 1})
    expect(await ns.list()).toEqual(['old'])
    expect(await ns.get('old')).toBe('o')
  })

  it('undoes a delete --prefix: every byte, TTL and metadata back', async () => {
    const {ns} = await freshNamespace()
    const keys = numberedKeys(1500, 'tmp:')
    await ns.batch((batch) => {
      keys.forEach((key, i) => batch.put(key, new Uint8Array([i % 256, 0, 255]), {metadata: i % 2 === 0 ? {i} : undefined, expiresIn: i % 3 === 0 ? 3600 : undefined}))
    })
    await ns.put('keep', 'k')
    const before = (await ns.historyState()).revision
    const entriesBefore = await Promise.all(keys.map((key) => ns.getEntry(key)))
    const {deleted, revisions} = await ns.deleteKeys({prefix: 'tmp:'})
    expect(deleted).toBe(1500)
    expect(revisions!.first).toBe(before + 1)
    expect(await ns.list({prefix: 'tmp:'})).toEqual([])
    const result = await ns.revert({prefix: 'tmp:', to: revisions!.first - 1})
    expect(result.changes).toHaveLength(1500)
    const entriesAfter = await Promise.all(keys.map((key) => ns.getEntry(key)))
    entriesAfter.forEach((entry, i) => {
      expectBytes(entry!.value, entriesBefore[i]!.value)
      expect([entry!.expiresAt, entry!.metadata]).toEqual([entriesBefore[i]!.expiresAt, entriesBefore[i]!.metadata])
    })
    expect(await ns.get('keep')).toBe('k')
  })

  it('a dry run and a revert with nothing to change write nothing', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('a', '2')
    const dry = await ns.revert({key: 'a', to: 1, dryRun: true})
    expect(dry.changes.map((change) => change.type)).toEqual(['put'])
    expect(dry.revisions).toBeNull()
    expect(await ns.get('a')).toBe('2')
    await ns.put('a', '1')
    // Changed since revision 1, but back to what it was: nothing to do.
    expect(await ns.revert({key: 'a', to: 1})).toEqual({changes: [], revisions: null})
    expect(await ns.revert({key: 'a', to: 3})).toEqual({changes: [], revisions: null})
    expect((await ns.historyState()).revision).toBe(3)
  })

  it('takes a key or a prefix, not both and not neither', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.revert({to: 0}), 'USAGE')
    await expectKvError(ns.revert({key: 'a', prefix: 'b', to: 0}), 'USAGE')
  })
})

describe('retention', () => {
  it('keeps at most the newest maxRevisions revisions; an older one is REVISION_COMPACTED naming the oldest kept', async () => {
    const {ns} = await freshNamespace('test', {history: {maxRevisions: 10}})
    for (let i = 1; i <= 200; i++) await ns.put(`k${i % 7}`, String(i))
    const state = await ns.historyState()
    expect(state.revision).toBe(200)
    expect(state.oldest).toBe(190)
    expect(await allChanges(ns)).toHaveLength(10)
    // k1 was last written by put 190 (190 % 7 === 1) at that revision.
    expect(await ns.get('k1', {revision: 190})).toBe('190')
    const error = await expectKvError(ns.get('k1', {revision: 189}), 'REVISION_COMPACTED')
    expect(error.message).toContain('the oldest revision kept is 190')
    await expectKvError(ns.revert({key: 'k1', to: 100}), 'REVISION_COMPACTED')
  })

  it('drops changes older than maxAge as writes go', async () => {
    const {ns, clock} = await freshNamespace('test', {history: {maxAge: 3600}})
    await ns.put('a', '1')
    clock.advance(1800_000)
    await ns.put('a', '2')
    clock.advance(1900_000)
    await ns.put('a', '3')
    // Revision 1 is over an hour old: dropped; revision 2 is not yet.
    expect((await ns.historyState()).oldest).toBe(1)
    expect((await allChanges(ns, {key: 'a'})).map(summary)).toEqual(['3 a put', '2 a put'])
    expect(await ns.get('a', {revision: 1})).toBe('1')
    await expectKvError(ns.get('a', {revision: 0}), 'REVISION_COMPACTED')
  })

  it('with history off, only the current revision can be read, and nothing is kept', async () => {
    const {ns} = await freshNamespace('test', {history: false})
    await ns.put('a', '1')
    await ns.put('a', '2')
    expect(await ns.historyState()).toEqual({revision: 2, oldest: 2, retention: false})
    expect((await ns.history()).changes).toEqual([])
    expect(await ns.get('a', {revision: 2})).toBe('2')
    await expectKvError(ns.get('a', {revision: 1}), 'REVISION_COMPACTED')
  })

  it('can be turned off and on again: the past is gone, what comes after is kept', async () => {
    const {ns} = await freshNamespace()
    await ns.put('a', '1')
    await ns.put('a', '2')
    await ns.setHistory(false)
    await ns.put('a', '3')
    await ns.delete('a')
    expect((await ns.historyState()).oldest).toBe(4)
    await ns.setHistory({maxAge: 86_400})
    expect((await ns.historyState()).retention).toEqual({maxAge: 86_400, maxRevisions: null})
    await ns.put('a', '5')
    await ns.put('a', '6')
    expect(await ns.get('a', {revision: 4})).toBeNull()
    expect(await ns.get('a', {revision: 5})).toBe('5')
    expect((await allChanges(ns)).map(summary)).toEqual(['6 a put', '5 a put'])
  })

  it('refuses a setting without bounds or with bad ones', async () => {
    const {ns} = await freshNamespace()
    await expectKvError(ns.setHistory({}), 'RETENTION_INVALID')
    await expectKvError(ns.setHistory({maxRevisions: 0}), 'RETENTION_INVALID')
    await expectKvError(ns.setHistory({maxAge: -1}), 'RETENTION_INVALID')
    await expectKvError(open('other', {create: true, history: {maxRevisions: 1.5}}), 'RETENTION_INVALID')
  })

  it('defaults to 30 days and 100,000 revisions', async () => {
    const {ns} = await freshNamespace()
    expect((await ns.historyState()).retention).toEqual({maxAge: 30 * 86_400, maxRevisions: 100_000})
  })
})
