/**
 * The LMDB inside lmdb-js 3.5.6 lets a process that opens an environment copy the transaction id it read at
 * open into the shared lock file, without the write lock. When another process commits in that moment, the
 * lock file names the commit before the newest one, and the next write transaction used to start from that
 * older commit and replace the newest: a write that had been reported done was gone (seen as a missing key
 * among 8 racing `kv put`s, and as 59 of 60 racing increments).
 *
 * The race itself needs hundreds of process starts to hit once, so these tests put the lock file into the
 * state it leaves, from a child process (as the other process would), and check every write path and the
 * open path. Each fails without WriteBaseGuard (src/engine/store/lmdb-files.ts).
 */
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {freshNamespace, open} from '../contract/fixture.js'

/** What the racing opener does: mti_txnid (offset 8 of lock.mdb) set back by one commit. */
function rollBackLockFile(dataDir: string, name: string): void {
  const script = `
    const fs = require('node:fs')
    const fd = fs.openSync(process.argv[1], 'r+')
    const id = Buffer.alloc(8)
    fs.readSync(fd, id, 0, 8, 8)
    id.writeBigUInt64LE(id.readBigUInt64LE(0) - 1n)
    fs.writeSync(fd, id, 0, 8, 8)`
  execFileSync(process.execPath, ['-e', script, join(dataDir, 'namespaces', name, 'lock.mdb')])
}

describe('a lock file set back by a racing opener loses no write', () => {
  it('put (batched write groups)', async () => {
    const {ns, dataDir, reopen} = await freshNamespace()
    await ns.put('first', '1')
    await ns.put('second', '2')
    rollBackLockFile(dataDir, 'test')
    await ns.put('third', '3')
    expect(await ns.list()).toEqual(['first', 'second', 'third'])
    const again = await reopen()
    expect(await again.list()).toEqual(['first', 'second', 'third'])
  })

  it('incr (synchronous update transactions)', async () => {
    const {ns, dataDir, reopen} = await freshNamespace()
    for (let i = 0; i < 3; i++) await ns.incr('counter')
    rollBackLockFile(dataDir, 'test')
    expect(await ns.incr('counter')).toBe(4)
    expect(await (await reopen()).get('counter')).toBe('4')
  })

  it('batch and deletePrefix', async () => {
    const {ns, dataDir, reopen} = await freshNamespace()
    await ns.put('kept', 'k')
    await ns.put('tmp:1', 't')
    rollBackLockFile(dataDir, 'test')
    await ns.batch((batch) => {
      batch.put('from-batch', 'b')
    })
    rollBackLockFile(dataDir, 'test')
    expect(await ns.deletePrefix('tmp:')).toBe(1)
    expect(await (await reopen()).list()).toEqual(['from-batch', 'kept'])
  })

  it('opening the namespace sets the lock file right, so readers see the newest commit', async () => {
    const {ns, dataDir} = await freshNamespace()
    await ns.put('first', '1')
    await ns.put('second', '2')
    rollBackLockFile(dataDir, 'test')
    const reader = await open('test', {dataDir})
    expect(await reader.get('second')).toBe('2')
    // and a later write still builds on it
    await ns.put('third', '3')
    expect(await (await open('test', {dataDir})).list()).toEqual(['first', 'second', 'third'])
  })
})
