/**
 * Scale (npm run test:stress only): a namespace of 5,000,000 keys built the way apps build one, in transactions
 * of 1,000 keys that land all over it, a tenth of them expiring at spread-out times, stays correct once those
 * have expired: they are neither read nor listed but counted, writes of keys without an expiry leave them on
 * disk, each write of an expiring key reclaims two of them (earliest first), a cursor walks every live key once,
 * and purgeExpired removes the rest. The timings for the same namespace are in `npm run bench`
 * (test/bench/targets/scale.js, BENCH_KEYS=5000000), not here.
 *
 * The namespace is built once per run (several minutes) and copied before it is changed; set KV_SCALE_DIR to keep
 * the built copy between runs (it is reused when complete). KV_SCALE_KEYS sizes it.
 */
import {cpSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {RECLAIM_PER_EXPIRING_KEY} from '../../../src/engine/namespace.js'
import {openNamespace, type Namespace} from '../../../src/index.js'
import {manualClock} from '../../helpers.js'

const KEYS = Number(process.env.KV_SCALE_KEYS ?? 5_000_000)
const TXN_KEYS = 1000
/** A prime larger than any KEYS: i -> i * STRIDE mod KEYS visits every key once, in an order all over the namespace. */
const STRIDE = 15_485_863
const T0 = Date.UTC(2026, 0, 1)
const HOUR = 3_600_000
/** Puts of expiring keys made after the expiry, and the expired keys they reclaim. */
const TTL_PUTS = 100
const RECLAIMED = TTL_PUTS * RECLAIM_PER_EXPIRING_KEY
const keep = process.env.KV_SCALE_DIR !== undefined
const dataDir = process.env.KV_SCALE_DIR ?? join(tmpdir(), `kv-scale-${process.pid}`)

afterAll(() => {
  if (!keep) rmSync(dataDir, {recursive: true, force: true})
})

const keyOf = (i: number) => `user:${String(i).padStart(7, '0')}`
const valueOf = (i: number) => `{"id":${i},"name":"user ${i}","plan":"${i % 3 ? 'free' : 'pro'}"}`
/** A tenth of the keys expire, at times spread over the hour after T0 + 1h (distinct from the key order). */
const expires = (i: number) => i % 10 === 7
const expiryOf = (i: number) => T0 + HOUR + ((i * 7919) % HOUR)

/** Writes key i of the build order; every TXN_KEYS of them are one transaction. */
async function build(ns: Namespace) {
  for (let start = 0; start < KEYS; start += TXN_KEYS) {
    await ns.batch((batch) => {
      for (let n = start; n < Math.min(KEYS, start + TXN_KEYS); n++) {
        const i = (n * STRIDE) % KEYS
        batch.put(keyOf(i), valueOf(i), expires(i) ? {expiration: expiryOf(i) / 1000} : undefined)
      }
    })
  }
}

/** Whether the built namespace kept from an earlier run (KV_SCALE_DIR) is there and complete. */
async function isComplete(clock: () => number, expiring: number): Promise<boolean> {
  if (!existsSync(join(dataDir, 'namespaces', 'built'))) return false
  const ns = await openNamespace('built', {dataDir, clock})
  try {
    const stats = await ns.stats()
    return stats.keys === KEYS && stats.expiring === expiring
  } finally {
    await ns.close()
  }
}

/** The expiring keys in the order they are reclaimed: by expiry time, then key. */
function reclaimOrder(): number[] {
  const expiring: number[] = []
  for (let i = 0; i < KEYS; i++) if (expires(i)) expiring.push(i)
  return expiring.sort((a, b) => expiryOf(a) - expiryOf(b) || a - b)
}

describe('scale', () => {
  it(`${KEYS.toLocaleString('en')} keys built in ${TXN_KEYS.toLocaleString('en')}-key transactions, a tenth expired: correct reads, lists and reclaiming`, async () => {
    mkdirSync(dataDir, {recursive: true})
    const order = reclaimOrder()
    const expiredCount = order.length
    const built = join(dataDir, 'namespaces', 'built')
    const clock = manualClock(T0)
    if (!(await isComplete(clock, expiredCount))) {
      rmSync(built, {recursive: true, force: true})
      const ns = await openNamespace('built', {dataDir, create: true, clock})
      await build(ns)
      await ns.close()
    }
    const work = join(dataDir, 'namespaces', 'work')
    rmSync(work, {recursive: true, force: true})
    cpSync(built, work, {recursive: true})

    // Two hours on, every expiring key has expired and none has been reclaimed.
    clock.set(T0 + 2 * HOUR)
    let ns = await openNamespace('work', {dataDir, clock})
    const live = KEYS - expiredCount
    try {
      expect(await ns.stats()).toMatchObject({keys: live, expiring: 0, expired: expiredCount})
      for (let i = 0; i < KEYS; i += 9973) expect(await ns.get(keyOf(i))).toBe(expires(i) ? null : valueOf(i))
      // A prefix holds 100 keys, less the expired ones.
      const prefix = keyOf(1_234_500 % KEYS).slice(0, -2)
      const under = Array.from({length: 100}, (_, n) => Number(prefix.slice(5) + String(n).padStart(2, '0')))
      expect(await ns.list({prefix})).toEqual(under.filter((i) => i < KEYS && !expires(i)).map(keyOf))

      // Writes of keys without an expiry, single and batched, new and existing, leave the expired keys alone.
      for (let n = 0; n < 200; n++) await ns.put(`new:${n}`, 'plain')
      for (let i = 1; i < KEYS; i += Math.floor(KEYS / 200)) if (!expires(i)) await ns.put(keyOf(i), `updated ${i}`)
      await ns.batch((batch) => {
        for (let n = 0; n < 100; n++) batch.put(`new:batch:${n}`, 'plain')
      })
      expect(await ns.stats()).toMatchObject({keys: live + 300, expired: expiredCount})

      // Each write of an expiring key reclaims two expired keys.
      for (let n = 0; n < TTL_PUTS; n++) await ns.put(`new:ttl:${n}`, 'expiring', {expiresIn: 3600})
      expect(await ns.stats()).toMatchObject({keys: live + 300 + TTL_PUTS, expiring: TTL_PUTS, expired: expiredCount - RECLAIMED})
    } finally {
      await ns.close()
    }

    // Seen from before they expired, exactly the earliest-expiring keys are gone from disk.
    ns = await openNamespace('work', {dataDir, clock: manualClock(T0)})
    try {
      for (const i of order.slice(0, RECLAIMED)) expect(await ns.get(keyOf(i))).toBeNull()
      for (const i of order.slice(RECLAIMED, RECLAIMED + 50)) expect(await ns.get(keyOf(i))).toBe(valueOf(i))
    } finally {
      await ns.close()
    }

    ns = await openNamespace('work', {dataDir, clock})
    try {
      // A cursor walks every live key once, in order, and no expired one.
      let walked = 0
      let previous = ''
      let cursor: string | null = null
      do {
        const page = await ns.listPage({limit: 100_000, cursor})
        for (const {name, expiresAt} of page.keys) {
          expect(name > previous).toBe(true)
          if (name.startsWith('user:')) expect(expires(Number(name.slice(5)))).toBe(false)
          else expect(expiresAt === null || expiresAt > clock()).toBe(true)
          previous = name
        }
        walked += page.keys.length
        cursor = page.cursor
      } while (cursor)
      expect(walked).toBe(live + 300 + TTL_PUTS)

      // purgeExpired removes every expired key left, and nothing else.
      expect(await ns.purgeExpired()).toBe(expiredCount - RECLAIMED)
      expect(await ns.stats()).toMatchObject({keys: live + 300 + TTL_PUTS, expiring: TTL_PUTS, expired: 0})
    } finally {
      await ns.close()
    }
    ns = await openNamespace('work', {dataDir, clock: manualClock(T0)})
    try {
      for (const i of order.slice(0, 2000)) expect(await ns.get(keyOf(i))).toBeNull()
      for (const i of order.slice(-2000)) expect(await ns.get(keyOf(i))).toBeNull()
      expect((await ns.stats()).expiring).toBe(TTL_PUTS)
    } finally {
      await ns.close()
    }
    console.log(
      `scale: ${KEYS} keys in ${Math.ceil(KEYS / TXN_KEYS)} transactions, ${expiredCount} of them expired: ` +
        `none reclaimed by writes without an expiry, ${RECLAIMED} by ${TTL_PUTS} expiring puts, the rest by purgeExpired`,
    )
  }, 3_600_000)
})
