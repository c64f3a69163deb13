/**
 * Scale (npm run test:stress only): a namespace of 5,000,000 keys keeps get, put and prefix-list latency
 * flat compared with a 1,000-key one, and its expired keys are reclaimed. The big namespace is built once
 * per run in batches of 100,000 keys; set KV_SCALE_DIR to keep it between runs (it is reused when complete).
 * Figures are printed; only generous ratios are asserted (timings are a report here, not a unit test).
 */
import {mkdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {openNamespace, type Namespace} from '../../../src/index.js'
import {manualClock} from '../../helpers.js'

const KEYS = Number(process.env.KV_SCALE_KEYS ?? 5_000_000)
const CHUNK = 100_000
/** Every 100th key expires after an hour. */
const EXPIRING_EVERY = 100
const T0 = Date.UTC(2026, 0, 1)
const keep = process.env.KV_SCALE_DIR !== undefined
const dataDir = process.env.KV_SCALE_DIR ?? join(tmpdir(), `kv-scale-${process.pid}`)

afterAll(() => {
  if (!keep) rmSync(dataDir, {recursive: true, force: true})
})

const keyOf = (i: number) => `user:${String(i).padStart(7, '0')}`
const valueOf = (i: number) => `{"id":${i},"name":"user ${i}","plan":"${i % 3 ? 'free' : 'pro'}"}`

/** Fills `ns` with `count` keys (every 100th expiring at T0 + 1h), CHUNK per transaction. */
async function fill(ns: Namespace, count: number) {
  for (let start = 0; start < count; start += CHUNK) {
    await ns.batch((batch) => {
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        batch.put(keyOf(i), valueOf(i), i % EXPIRING_EVERY === 0 ? {expiration: (T0 + 3_600_000) / 1000} : undefined)
      }
    })
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Median microseconds of get, put and a 100-key prefix list, over keys spread across the namespace. */
async function latencies(ns: Namespace, count: number) {
  const time = async (runs: number, op: (i: number) => Promise<unknown>) => {
    const samples: number[] = []
    for (let r = 0; r < runs; r++) {
      const i = (r * 7_919_993) % count
      const start = process.hrtime.bigint()
      await op(i)
      samples.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    return median(samples)
  }
  const get = await time(2000, async (i) => expect(await ns.get(keyOf(i - (i % EXPIRING_EVERY) + 1))).not.toBeNull())
  const list = await time(500, async (i) => {
    // user:12345 -> the 100 keys user:1234500 .. user:1234599 (fewer near the end of a small namespace)
    const prefix = keyOf(i).slice(0, -2)
    expect((await ns.list({prefix, limit: 100})).length).toBeGreaterThan(0)
  })
  // Never a multiple of EXPIRING_EVERY: the expiring keys stay as they are for the reclaim check.
  const put = await time(50, (i) => ns.put(keyOf(i - (i % EXPIRING_EVERY) + 2), valueOf(i)))
  return {get, put, list}
}

describe('scale', () => {
  it(`${KEYS.toLocaleString('en')} keys: flat latency, expired keys reclaimed`, async () => {
    mkdirSync(dataDir, {recursive: true})
    const clock = manualClock(T0)
    const big = await openNamespace('big', {dataDir, create: true, clock})
    const small = await openNamespace('small', {dataDir, create: true, clock})
    try {
      const built = Date.now()
      if ((await big.stats()).keys < KEYS) await fill(big, KEYS)
      else await fill(big, 0) // reused: the expiring keys are put back below
      const buildSeconds = (Date.now() - built) / 1000
      // Reused or not, (re)put the expiring keys so the reclaim check below always has them.
      await big.batch((batch) => {
        for (let i = 0; i < KEYS; i += EXPIRING_EVERY) batch.put(keyOf(i), valueOf(i), {expiration: (T0 + 3_600_000) / 1000})
      })
      await fill(small, 1000)
      expect((await big.stats()).keys).toBe(KEYS)

      // Expiry: an hour later every 100th key has expired; none is visible, purgeExpired reclaims them all.
      clock.advance(2 * 3_600_000)
      const expiring = KEYS / EXPIRING_EVERY
      expect((await big.stats()).expired).toBe(expiring)
      expect(await big.get(keyOf(0))).toBeNull()
      const purgeStart = Date.now()
      expect(await big.purgeExpired()).toBe(expiring)
      const after = await big.stats()
      expect(after).toMatchObject({keys: KEYS - expiring, expiring: 0, expired: 0})
      console.log(`scale: ${expiring} expired keys reclaimed by purgeExpired in ${((Date.now() - purgeStart) / 1000).toFixed(1)} s; stats().expired = 0`)

      const smallTimes = await latencies(small, 1000)
      const bigTimes = await latencies(big, KEYS)
      const stats = await big.stats()
      console.log(
        `scale: built ${KEYS} keys in ${buildSeconds.toFixed(1)} s (${((stats.bytesOnDisk ?? 0) / 2 ** 20).toFixed(0)} MiB); median µs ` +
          `get ${smallTimes.get.toFixed(1)} -> ${bigTimes.get.toFixed(1)}, put ${smallTimes.put.toFixed(1)} -> ${bigTimes.put.toFixed(1)}, ` +
          `list 100 by prefix ${smallTimes.list.toFixed(1)} -> ${bigTimes.list.toFixed(1)} (1,000 keys -> ${KEYS} keys)`,
      )
      // B-tree depth grows by one or two levels from 1,000 to 5,000,000 keys: anything near linear would be 5000x.
      expect(bigTimes.get).toBeLessThan(smallTimes.get * 10 + 50)
      expect(bigTimes.list).toBeLessThan(smallTimes.list * 10 + 200)
      expect(bigTimes.put).toBeLessThan(smallTimes.put * 10 + 5000)
    } finally {
      await big.close()
      await small.close()
    }
  }, 3_600_000)
})
