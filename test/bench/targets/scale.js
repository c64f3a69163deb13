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
const RECLAIM_ROUNDS = 5

const baseKey = (i) => `k:${String(i % PREFIXES).padStart(3, '0')}:${i}`

/** Fills a namespace with `count` keys that do not expire, one transaction per chunk. */
async function load(namespace, count) {
  for (let offset = 0; offset < count; offset += CHUNK) {
    await namespace.batch((batch) => {
      for (let i = offset; i < Math.min(offset + CHUNK, count); i++) batch.put(baseKey(i), `value-${i}`)
    })
  }
}

/**
 * Adds EXPIRED keys with a TTL to a namespace of `count` keys: one range of keys (`exp:…`, as sessions or
 * cache entries under one prefix), or spread out, each next to one of the existing keys.
 */
async function addExpiring(namespace, count, round, spread) {
  const every = Math.floor(count / EXPIRED)
  await namespace.batch((batch) => {
    for (let n = 0; n < EXPIRED; n++) {
      const key = spread ? `${baseKey(n * every + (round % every))}:expiring` : `exp:${round}:${n}`
      batch.put(key, 'value', {expiresIn: TTL_SECONDS})
    }
  })
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
  await load(namespace, LARGE_KEYS)
  await namespace.close()
  const perPrefix = Math.floor(LARGE_KEYS / PREFIXES)
  const reopened = await openNamespace('large', {dataDir: dir})
  // Walk every key back by cursor first: nothing was lost while the map grew.
  let walked = 0
  let cursor = null
  do {
    const page = await reopened.listPage({limit: 100_000, cursor})
    walked += page.keys.length
    cursor = page.cursor
  } while (cursor)
  if (walked !== LARGE_KEYS) throw new Error(`walked ${walked} keys back by cursor, expected ${LARGE_KEYS}`)
  // The same range read straight from lmdb-js (storage format 2's `records`, environment options as
  // src/engine/store/lmdb/environment.ts), for reference.
  const raw = open({path: join(dir, 'namespaces', 'large'), noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 8})
  const values = raw.openDB({name: 'records', keyEncoding: 'binary', encoding: 'binary'})
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

/**
 * Median time (ms) to reclaim EXPIRED expired keys from a namespace of SMALL_KEYS keys and from one of
 * LARGE_KEYS keys, alternating between them over a few rounds (only the reclaiming is timed).
 */
async function reclaimTimes(dir, spread) {
  const sizes = [SMALL_KEYS, LARGE_KEYS]
  const namespaces = []
  for (const size of sizes) {
    const clock = manualClock()
    const namespace = await openNamespace(`reclaim-${spread ? 'spread' : 'range'}-${size}`, {dataDir: dir, create: true, clock})
    await load(namespace, size)
    namespaces.push({namespace, clock, size})
  }
  try {
    const times = namespaces.map(() => [])
    for (let round = 0; round < RECLAIM_ROUNDS; round++) {
      for (const [index, {namespace, clock, size}] of namespaces.entries()) {
        await addExpiring(namespace, size, round, spread)
        clock.advance((TTL_SECONDS + 1) * 1000)
        const start = performance.now()
        const reclaimed = await namespace.purgeExpired()
        times[index].push(performance.now() - start)
        if (reclaimed !== EXPIRED) throw new Error(`reclaimed ${reclaimed} of ${EXPIRED} expired keys`)
      }
    }
    return times.map(median)
  } finally {
    for (const {namespace} of namespaces) await namespace.close()
  }
}

export async function measure() {
  return withWorkDir(async (dir) => {
    const list = await listFigures(dir)
    const row = async (spread, what) => {
      const [small, large] = await reclaimTimes(dir, spread)
      return atMost(`reclaim ${fmtCount(EXPIRED)} expired keys (${what}) from ${fmtCount(LARGE_KEYS)}`, large, small, `same from ${fmtCount(SMALL_KEYS)}`, 1.5, fmtMs)
    }
    // Expired keys under one prefix share pages; spread out among the other keys, each may sit on a page
    // of its own. Both must cost the same whatever the namespace's size.
    return [list, await row(false, 'one key range'), await row(true, 'spread out')]
  })
}
