import {join} from 'node:path'
import {open as openLmdb} from 'lmdb'
import {describe, expect, it} from 'vitest'

import {close, open} from '../contract/fixture.js'
import {manualClock, tempDir} from '../helpers.js'

/** The history as LMDB keeps it (store/lmdb/revisions.ts), beyond the contract: what stays in its databases. */

/** Entries of the history's databases, read with plain lmdb-js. */
function historyEntries(dataDir: string, name: string): {log: number; versions: number} {
  const env = openLmdb({path: join(dataDir, 'namespaces', name), noSubdir: false, maxDbs: 8, readOnly: true})
  try {
    const count = (db: string) => (env.openDB({name: db, keyEncoding: 'binary', encoding: 'binary'})?.getStats() as {entryCount: number} | undefined)?.entryCount ?? 0
    return {log: count('log'), versions: count('versions')}
  } finally {
    void env.close()
  }
}

describe('the history on LMDB', () => {
  it('stays within its bounds while writing far past them: older log records and replaced entries are removed', async () => {
    const dataDir = tempDir()
    const ns = await open('bounded', {dataDir, create: true, history: {maxRevisions: 20}})
    for (let i = 0; i < 300; i++) await ns.put(`k${i % 9}`, String(i))
    const state = await ns.historyState()
    expect(state.revision - state.oldest).toBe(20)
    await close(ns)
    const kept = historyEntries(dataDir, 'bounded')
    // One log record per revision kept; one replaced entry per change kept (each replaced the key's last).
    expect(kept.log).toBe(20)
    expect(kept.versions).toBeLessThanOrEqual(20 + 9)
  })

  it('keeps a revision of many keys in parts, and drops it part by part as writes go', async () => {
    const dataDir = tempDir()
    const clock = manualClock()
    const ns = await open('parts', {dataDir, create: true, clock, history: {maxAge: 60}})
    await ns.batch((batch) => {
      for (let i = 0; i < 2500; i++) batch.put(`key:${String(i).padStart(4, '0')}`, 'v1')
    })
    await ns.batch((batch) => {
      for (let i = 0; i < 2500; i++) batch.put(`key:${String(i).padStart(4, '0')}`, 'v2')
    })
    // Two revisions of 2,500 keys: 3 parts each; 2,500 replaced entries.
    await close(ns)
    expect(historyEntries(dataDir, 'parts')).toEqual({log: 6, versions: 2500})
    const again = await open('parts', {dataDir, clock})
    expect((await again.history({limit: 100_000})).changes).toHaveLength(5000)
    expect(await again.get('key:2499', {revision: 1})).toBe('v1')
    // An hour on, both revisions are beyond the retention: each write removes a little of them, never all at once.
    clock.advance(3_600_000)
    await again.put('tick', '0')
    expect((await again.historyState()).oldest).toBe(2)
    await close(again)
    const afterOne = historyEntries(dataDir, 'parts')
    expect(afterOne.log).toBeGreaterThan(1)
    const last = await open('parts', {dataDir, clock})
    for (let i = 1; i < 400; i++) await last.put('tick', String(i))
    await close(last)
    // What is left: the log records of the ticks within the hour, and what they replaced.
    const settled = historyEntries(dataDir, 'parts')
    expect(settled.versions).toBeLessThanOrEqual(400)
    expect(settled.log).toBeLessThanOrEqual(400)
    const reader = await open('parts', {dataDir, clock})
    expect(await reader.get('key:2499')).toBe('v2')
    expect((await reader.history({prefix: 'key:'})).changes).toEqual([])
  })
})
