/**
 * Several processes on one LMDB namespace at once (concurrency-scenario.ts, which the Redis tests run too).
 * Then LMDB's reader table (126 slots): more short-lived processes than that, many SIGKILLed while they
 * hold a read snapshot, must not exhaust it (lmdb-js clears dead readers' slots when it opens and when the
 * table is full).
 */
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {tempDir} from '../helpers.js'
import {concurrentWritersAndReaders, expectClean, INCREMENTERS, READERS, worker, WRITERS} from './concurrency-scenario.js'

/** LMDB's default reader table size in lmdb-js. */
const MAX_READERS = 126

describe('several processes on one namespace', () => {
  it(`${WRITERS} writers, ${INCREMENTERS} incrementers and ${READERS} readers at once: no lost write, no error, no torn value`, async () => {
    console.log(`concurrency: ${await concurrentWritersAndReaders({dataDir: tempDir('kv-concurrency-')})}`)
  }, 300_000)
})

describe('the reader table', () => {
  it(`${MAX_READERS + 34} processes holding read snapshots, SIGKILLed, while another process keeps the namespace open: new processes still read`, async () => {
    const dataDir = tempDir('kv-readers-')
    const ns = await openNamespace('shared', {dataDir, create: true})
    await ns.put('k', 'v')
    try {
      // This process keeps the lock file open throughout, so nothing resets the reader table between kills.
      const total = MAX_READERS + 34
      const wave = 20
      let killed = 0
      for (let start = 0; start < total; start += wave) {
        const holders = Array.from({length: Math.min(wave, total - start)}, () => {
          const holder = worker({dataDir}, ['hold'], {onLine: () => holder.child.kill('SIGKILL')})
          return holder
        })
        for (const result of await Promise.all(holders.map((h) => h.finished))) {
          expect(result.signal, result.stderr).toBe('SIGKILL')
          expect(result.stdout).toBe('holding\n')
          killed++
        }
      }
      // Our own reads and writes still work, and so do new processes.
      expect(await ns.get('k')).toBe('v')
      await ns.put('k', 'still writable')
      const readers = await Promise.all(Array.from({length: 30}, () => worker({dataDir}, ['read', 'k']).finished))
      for (const [i, result] of readers.entries()) {
        expectClean(result, `reader ${i}`)
        expect(result.stdout).toBe('still writable\n')
      }
      console.log(`reader table: ${killed} processes SIGKILLed holding a snapshot, then ${readers.length} concurrent readers: all read`)
    } finally {
      await ns.close()
    }
  }, 300_000)
})
