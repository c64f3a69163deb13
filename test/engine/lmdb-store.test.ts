import {existsSync, readdirSync, statSync, truncateSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {deleteNamespace, namespaceExists} from '../../src/index.js'
import {LOCK_FILE_BYTES} from '../../src/engine/store/lmdb/files.js'
import {close, expectKvError, freshNamespace, numberedKeys, open} from '../contract/fixture.js'
import {tempDir} from '../helpers.js'

/** What the LMDB store does beyond the contract (test/contract/), as the README states it. */

describe('the LMDB store: snapshots', () => {
  it('entries does not see writes made while it is being walked (one read snapshot)', async () => {
    const {ns} = await freshNamespace()
    await ns.batch((batch) => {
      for (const key of numberedKeys(3000)) batch.put(key, 'original')
    })
    const walked: string[] = []
    for await (const entry of ns.entries()) {
      if (walked.length === 10) {
        await ns.put('k00000', 'changed')
        await ns.put('zzz-new', 'v')
        await ns.delete('k02999')
      }
      walked.push(`${entry.name}=${new TextDecoder().decode(entry.value)}`)
    }
    expect(walked).toHaveLength(3000)
    expect(walked[0]).toBe('k00000=original')
    expect(walked.at(-1)).toBe('k02999=original')
    expect(await ns.get('k00000')).toBe('changed')
  })
})

describe('the LMDB store: transactions and sizes', () => {
  it('deletePrefix is one transaction: a reader holding a snapshot sees all the keys or, after, none', async () => {
    const {ns} = await freshNamespace()
    await ns.batch((b) => {
      for (const key of numberedKeys(3000, 'p:')) b.put(key, 'v')
    })
    const before = ns.entries({prefix: 'p:'})
    expect((await before.next()).done).toBe(false)
    expect(await ns.deletePrefix('p:')).toBe(3000)
    let seen = 1
    for await (const _ of before) seen++
    expect(seen).toBe(3000)
    expect(await ns.list({prefix: 'p:'})).toEqual([])
  })

  it('reports the size on disk, which grows with the data', async () => {
    const {ns} = await freshNamespace()
    const empty = (await ns.stats()).bytesOnDisk
    expect(empty).toBeGreaterThan(0)
    await ns.put('big', new Uint8Array(1 << 20))
    expect((await ns.stats()).bytesOnDisk).toBeGreaterThan(empty! + (1 << 20) - 1)
  })
})

describe('the LMDB store: creating a namespace', () => {
  it('writes its lock file for real, every page on disk, and LMDB keeps it at that size (a full disk cannot SIGBUS it)', async () => {
    const {dataDir, ns} = await freshNamespace('fresh')
    await ns.put('k', 'v')
    const lock = statSync(join(dataDir, 'namespaces', 'fresh', 'lock.mdb'))
    expect(lock.size).toBe(LOCK_FILE_BYTES)
    // A file of holes (LMDB's ftruncate) has fewer blocks than its size needs.
    expect(lock.blocks * 512).toBeGreaterThanOrEqual(lock.size)
  })
})

describe('the LMDB store: deleting a namespace', () => {
  it('removes its directory; a handle open during the delete keeps working on its own copy', async () => {
    const dataDir = tempDir()
    const held = await open('busy', {dataDir, create: true})
    await held.put('k', 'v')
    await deleteNamespace('busy', {dataDir})
    expect(await namespaceExists('busy', {dataDir})).toBe(false)
    expect(readdirSync(join(dataDir, 'namespaces'))).toEqual([])
    expect(await held.get('k')).toBe('v')
    await held.put('k2', 'v2')
    expect(await held.list()).toEqual(['k', 'k2'])
    await close(held)
    expect(existsSync(join(dataDir, 'namespaces', 'busy'))).toBe(false)
    await expectKvError(open('busy', {dataDir}), 'NAMESPACE_NOT_FOUND')
  })
})

describe('the LMDB store: damaged files', () => {
  it('a truncated data file is refused with STORAGE_FAILURE rather than crashing the process', async () => {
    const {ns, dataDir} = await freshNamespace()
    await ns.batch((batch) => {
      for (const key of numberedKeys(2000)) batch.put(key, 'x'.repeat(100))
    })
    await close(ns)
    truncateSync(join(dataDir, 'namespaces', 'test', 'data.mdb'), 2 * 4096)
    await expectKvError(open('test', {dataDir}), 'STORAGE_FAILURE')
  })
})
