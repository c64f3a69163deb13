// The binding on Redis against raw ioredis on the same private redis-server (127.0.0.1 TCP, persistence
// off), the same keys (kv stores them under its namespace's hash tag, raw ioredis under their own names) and
// the same 40-byte text values, in-process. Two access patterns, each with a goal of ≥ 0.5× raw ioredis:
// - one at a time: SEQUENTIAL keys, each call awaited before the next (a round trip each: latency-bound);
// - concurrent: CONCURRENT calls made at once, then awaited together (Promise.all: throughput-bound).
// get: `namespace.get(key)` (text) against `redis.get(key)`; put: `namespace.put(key, value)` against
// `redis.set(key, value)`. Rounds alternate between kv and ioredis so both see the same machine.
import {Redis} from 'ioredis'

import {openNamespace} from '../../../dist/index.js'
import {atLeast, fmtCount, fmtOps, medianTimes} from '../lib.js'
import {notMeasured, redisInstalled, startRedis} from '../lib/redis.js'

const SEQUENTIAL = 5000
const CONCURRENT = 20_000
const ROUNDS = 5
const GOAL = 0.5

export async function measure() {
  const targets = [
    `library get on Redis: ${fmtCount(SEQUENTIAL)} keys, awaited one at a time`,
    `library get on Redis: ${fmtCount(CONCURRENT)} concurrent calls`,
    `library put on Redis: ${fmtCount(SEQUENTIAL)} keys, awaited one at a time`,
    `library put on Redis: ${fmtCount(CONCURRENT)} concurrent calls`,
  ]
  if (!redisInstalled()) return targets.map((target) => notMeasured(target, `≥ ${GOAL}× raw ioredis`))
  const server = await startRedis()
  const raw = new Redis({host: server.host, port: server.port})
  const namespace = await openNamespace('bench', {store: server.url, create: true})
  try {
    const keys = Array.from({length: CONCURRENT}, (_, i) => `user:${String(i).padStart(6, '0')}`)
    const sequentialKeys = keys.slice(0, SEQUENTIAL)
    const value = 'v'.repeat(40)
    const [rawSeqPut, kvSeqPut] = await medianTimes(ROUNDS, [
      async () => {
        for (const key of sequentialKeys) await raw.set(key, value)
      },
      async () => {
        for (const key of sequentialKeys) await namespace.put(key, value)
      },
    ])
    const [rawConPut, kvConPut] = await medianTimes(ROUNDS, [
      () => Promise.all(keys.map((key) => raw.set(key, value))),
      () => Promise.all(keys.map((key) => namespace.put(key, value))),
    ])
    const [rawSeqGet, kvSeqGet] = await medianTimes(ROUNDS, [
      async () => {
        for (const key of sequentialKeys) await raw.get(key)
      },
      async () => {
        for (const key of sequentialKeys) await namespace.get(key)
      },
    ])
    const [rawConGet, kvConGet] = await medianTimes(ROUNDS, [
      () => Promise.all(keys.map((key) => raw.get(key))),
      () => Promise.all(keys.map((key) => namespace.get(key))),
    ])
    const [kvLast, rawLast] = [await namespace.get(keys.at(-1)), await raw.get(keys.at(-1))]
    if (kvLast !== value || rawLast !== value) throw new Error(`read back ${kvLast} and ${rawLast}`)
    const seq = (ms) => SEQUENTIAL / (ms / 1000)
    const con = (ms) => CONCURRENT / (ms / 1000)
    const name = (command) => `raw ioredis ${command}, same server`
    return [
      atLeast(targets[0], seq(kvSeqGet), seq(rawSeqGet), name('GET'), GOAL, fmtOps),
      atLeast(targets[1], con(kvConGet), con(rawConGet), name('GET'), GOAL, fmtOps),
      atLeast(targets[2], seq(kvSeqPut), seq(rawSeqPut), name('SET'), GOAL, fmtOps),
      atLeast(targets[3], con(kvConPut), con(rawConPut), name('SET'), GOAL, fmtOps),
    ]
  } finally {
    await namespace.close()
    raw.disconnect()
    await server.stop()
  }
}
