// A large namespace: listing 1,000 keys by prefix, and reclaiming expired keys in time proportional to them.
import {join} from 'node:path'
import {open} from 'lmdb'

import {openNamespace} from '../../../dist/index.js'
import {atMost, fmtCount, fmtMs, LARGE_KEYS, median, medianTime, withWorkDir} from '../lib.js'

const PREFIXES = 1000
const EXPIRED = 10_000
const SMALL_KEYS = 20_000
const CHUNK = 10_000
const TTL_SECONDS = 60

/** Fills a namespace with `count` keys (`expiring` of them with a TTL), one transaction per chunk. */
async function load(namespace, count, expiring) {
  for (let offset = 0; offset < count; offset += CHUNK) {
    await namespace.batch((batch) => {
      for (let i = offset; i < Math.min(offset + CHUNK, count); i++) {
        const key = `k:${String(i % PREFIXES).padStart(3, '0')}:${i}`
        batch.put(key, `value-${i}`, i < expiring ? {expiresIn: TTL_SECONDS} : undefined)
      }
    })
  }
}

/** A clock the bench moves forward instead of waiting for the TTL. */
function manualClock() {
  let now = Date.now()
  const clock = () => now
  clock.advance = (ms) => (now += ms)
  return clock
}

async function listFigures(dir) {
  const namespace = await openNamespace('large', {dataDir: dir, create: true})
  await load(namespace, LARGE_KEYS, 0)
  await namespace.close()
  const perPrefix = Math.floor(LARGE_KEYS / PREFIXES)
  const reopened = await openNamespace('large', {dataDir: dir})
  // The same range read straight from lmdb-js, for reference.
  const raw = open({path: join(dir, 'namespaces', 'large'), noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 4})
  const values = raw.openDB({name: 'values', keyEncoding: 'binary', encoding: 'binary'})
  const encoder = new TextEncoder()
  try {
    const prefixOf = (round) => `k:${String((round * 37) % PREFIXES).padStart(3, '0')}:`
    const kv = await medianTime(50, async (round) => {
      const keys = await reopened.list({prefix: prefixOf(round), limit: 1000})
      if (keys.length !== Math.min(perPrefix, 1000)) throw new Error(`prefix list returned ${keys.length} keys`)
    })
    const reference = await medianTime(50, (round) => {
      const start = encoder.encode(prefixOf(round))
      const end = encoder.encode(prefixOf(round).replace(/:$/, ';'))
      const names = []
      for (const key of values.getKeys({start, end, limit: 1000})) names.push(new TextDecoder().decode(key))
      if (names.length !== Math.min(perPrefix, 1000)) throw new Error(`raw range returned ${names.length} keys`)
    })
    return {
      target: `list ${fmtCount(Math.min(perPrefix, 1000))} keys by prefix from ${fmtCount(LARGE_KEYS)}, in-process`,
      kv: fmtMs(kv),
      reference: `${fmtMs(reference)} (raw lmdb-js getKeys of the same range)`,
      ratio: kv / reference,
      goal: '≤ 10 ms',
      met: kv <= 10,
    }
  } finally {
    await reopened.close()
    await raw.close()
  }
}

/** Time to reclaim EXPIRED expired keys from a namespace of `total` keys. */
async function reclaimTime(dir, name, total) {
  const clock = manualClock()
  const namespace = await openNamespace(name, {dataDir: dir, create: true, clock})
  try {
    await load(namespace, total, EXPIRED)
    clock.advance((TTL_SECONDS + 1) * 1000)
    const before = (await namespace.stats()).expired
    const times = []
    const start = performance.now()
    const reclaimed = await namespace.purgeExpired()
    times.push(performance.now() - start)
    if (reclaimed !== before || before < EXPIRED - 64 * 20) throw new Error(`reclaimed ${reclaimed} of ${before} expired keys`)
    return median(times)
  } finally {
    await namespace.close()
  }
}

export async function measure() {
  return withWorkDir(async (dir) => {
    const list = await listFigures(dir)
    const small = await reclaimTime(dir, 'reclaim-small', SMALL_KEYS)
    const large = await reclaimTime(dir, 'reclaim-large', LARGE_KEYS)
    return [
      list,
      atMost(
        `reclaim ${fmtCount(EXPIRED)} expired keys from ${fmtCount(LARGE_KEYS)}`,
        large,
        small,
        `the same from ${fmtCount(SMALL_KEYS)}`,
        1.5,
        fmtMs,
      ),
    ]
  })
}
