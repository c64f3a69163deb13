import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {Redis} from 'ioredis'
import {describe, expect, inject, it} from 'vitest'

import {deleteNamespace} from '../../src/index.js'
import {close, numberedKeys, open} from '../contract/fixture.js'
import {all, manualClock} from '../helpers.js'
import {command} from './servers.js'

/** The history on Redis beyond the contract: its keys on the server, the upgrade from format 2. */

let prefixes = 0
function place(): {store: string; prefix: string} {
  const prefix = `rh${process.pid}-${++prefixes}:`
  return {store: `${inject('redis').url}?prefix=${prefix}`, prefix}
}

const server = () => inject('redis')

async function keysUnder(prefix: string): Promise<string[]> {
  return ((await command(server(), ['KEYS', `${prefix}*`])) as string[]).sort()
}

/** The server's keys that hold history: past entries (h:, v:) and the change log (log:). */
async function historyKeys(prefix: string): Promise<string[]> {
  return (await keysUnder(prefix)).filter((key) => /\}:(h|v|log):/.test(key))
}

const FORMAT_2 = resolve(import.meta.dirname, '..', 'fixtures', 'format-2')
/** The clock the fixture was written at. */
const T0 = Date.UTC(2026, 0, 1)

/** Loads the Redis keys the last kv of format 2 wrote (test/fixtures/format-2/make.mjs) under `prefix`. */
async function loadFormat2(prefix: string): Promise<void> {
  const redis = new Redis(server().url)
  try {
    for (const line of readFileSync(join(FORMAT_2, 'redis.ndjson'), 'utf8').split('\n').filter(Boolean)) {
      const item = JSON.parse(line) as {key: string; type: string; value?: string; fields?: Record<string, string>; members?: [string, number][]}
      const name = Buffer.concat([Buffer.from(prefix), Buffer.from(item.key, 'base64').subarray('kv:'.length)])
      if (item.type === 'string') await redis.set(name, Buffer.from(item.value!, 'base64'))
      else if (item.type === 'hash') await redis.hset(name, item.fields!)
      else await redis.zadd(name, ...item.members!.flatMap(([member, score]) => [score, Buffer.from(member, 'base64')]))
    }
  } finally {
    redis.disconnect()
  }
}

describe('the history on Redis', () => {
  it('keeps a replaced entry by renaming its record (no copy), a delete as a member of the key\'s past', async () => {
    const {store, prefix} = place()
    const ns = await open('h', {store, create: true})
    await ns.put('k', 'one')
    await ns.put('k', 'two')
    await ns.delete('k')
    const keys = (await historyKeys(prefix)).map((key) => key.slice(key.indexOf('}') + 2))
    expect(keys.sort()).toEqual(['h:k', 'log:1', 'log:2', 'log:3', 'v:1:k', 'v:2:k'])
    const tag = (await keysUnder(prefix)).find((key) => key.endsWith(':h:k'))!.slice(0, -'h:k'.length)
    expect(await command(server(), ['ZRANGE', `${tag}h:k`, '0', '-1', 'WITHSCORES'])).toEqual(['1', '1', '2', '2', 'd3', '3'])
  })

  it('stays within its bounds while writing far past them: what is beyond them is removed from the server', async () => {
    const {store, prefix} = place()
    const ns = await open('bounded', {store, create: true, history: {maxRevisions: 20}})
    for (let round = 0; round < 30; round++) await ns.batch((batch) => numberedKeys(10).forEach((key) => batch.put(key, String(round))))
    for (let i = 0; i < 200; i++) await ns.put(`k${i % 5}`, String(i))
    const state = await ns.historyState()
    expect(state.revision - state.oldest).toBe(20)
    const kept = await historyKeys(prefix)
    // 20 log records, and the past entries of the few keys those 20 revisions replaced: nothing older.
    expect(kept.filter((key) => key.includes(':log:'))).toHaveLength(20)
    expect(kept.filter((key) => key.includes(':v:')).length).toBeLessThanOrEqual(20 + 5)
  })

  it('ns delete frees the history too: nothing of the namespace stays on the server', async () => {
    const {store, prefix} = place()
    const ns = await open('gone', {store, create: true})
    for (let i = 0; i < 50; i++) await ns.put(`k${i % 7}`, String(i))
    await ns.deleteMany(['k1', 'k2'])
    await ns.revert({prefix: '', to: 10})
    await close(ns)
    expect((await historyKeys(prefix)).length).toBeGreaterThan(0)
    await deleteNamespace('gone', {store})
    expect((await keysUnder(prefix)).filter((key) => !key.includes('{registry}'))).toEqual([])
  })

  it('upgrades a namespace written by kv of format 2 on first open: every entry unchanged, at revision 0', async () => {
    const {store, prefix} = place()
    await loadFormat2(prefix)
    const expected = readFileSync(join(FORMAT_2, 'expected.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as {key: string; value: string; expiresAt: number | null; metadata: unknown})
    const ns = await open('flags', {store, clock: manualClock(T0)})
    const entries = await all(ns.entries())
    expect(entries.map(({name, value, expiresAt, metadata}) => ({key: name, value: Buffer.from(value).toString('base64'), expiresAt, metadata}))).toEqual(expected)
    expect(entries.every((entry) => entry.revision === 0)).toBe(true)
    expect(await ns.historyState()).toEqual({revision: 0, oldest: 0, retention: {maxAge: 30 * 86_400, maxRevisions: 100_000}})
    const tag = (await keysUnder(prefix)).find((key) => key.endsWith(':meta'))!
    expect(await command(server(), ['HGET', tag, 'format'])).toBe('3')
    // A version from before the upgrade still guards a conditional write; the old entry is revision 0's.
    const flags = (await ns.getEntry('feature-flags'))!
    expect(await ns.put('feature-flags', 'changed', {ifVersion: flags.version})).toBe(true)
    expect(await ns.put('feature-flags', 'again', {ifVersion: flags.version})).toBe(false)
    expect((await ns.getEntry('feature-flags', {revision: 0}))?.metadata).toEqual({owner: 'ana', ticket: 'OPS-17'})
    await ns.revert({key: 'feature-flags', to: 0})
    expect(await ns.get('feature-flags')).toBe(JSON.stringify({newCheckout: true, beta: ['a', 'b']}))
  })
})
