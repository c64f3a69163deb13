// The binding on LMDB against raw lmdb-js on the same data, same environment options, interleaved:
// - get and put of 20,000 keys (throughput, goal ≥ 0.5×);
// - get of 100,000 keys awaited one at a time against lmdb-js `get` of the same values stored as strings
//   (`encoding: 'string'`, which decodes straight from lmdb-js's buffer): time ratio, goal ≤ 2× (metadata issue);
// - put with metadata against lmdb-js put of the same record bytes, and a list of 1,000 keys with their
//   metadata against lmdb-js getRange of the same range over the same bytes: reported, no goal set.
import {join} from 'node:path'
import {open} from 'lmdb'

import {openNamespace} from '../../../dist/index.js'
import {encodeRecord} from '../../../dist/engine/store/record.js'
import {atLeast, atMost, fmtCount, fmtMs, fmtOps, medianTimes, withWorkDir} from '../lib.js'

const COUNT = 20_000
const GET_COUNT = 100_000
const ROUNDS = 7
const LIST_KEYS = 1000
/** As src/engine/store/lmdb/environment.ts opens every environment. */
const ENV_OPTIONS = {noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 8}
const NO_GOAL = 'none set (reported)'

const opsPerSecond = (count) => (ms) => count / (ms / 1000)

/** A row with a ratio but no goal. */
function reported(target, kv, reference, referenceName, format, ratio) {
  return {target, kv: format(kv), reference: `${format(reference)} (${referenceName})`, ratio, goal: NO_GOAL, met: null}
}

async function throughputRows(dir) {
  const keys = Array.from({length: COUNT}, (_, i) => `user:${String(i).padStart(6, '0')}`)
  const value = 'x'.repeat(40)
  const encoder = new TextEncoder()
  const rawValue = encoder.encode(value)
  const rawEnv = open({path: join(dir, 'raw'), ...ENV_OPTIONS})
  const raw = rawEnv.openDB({name: 'values', keyEncoding: 'binary', encoding: 'binary'})
  const namespace = await openNamespace('bench', {dataDir: join(dir, 'kv'), create: true})
  const ops = opsPerSecond(COUNT)
  try {
    // Separate put calls, not awaited one by one (lmdb-js commits the calls of one turn together).
    const [rawPut, kvPut] = await medianTimes(ROUNDS, [
      () => Promise.all(keys.map((key) => raw.put(encoder.encode(key), rawValue))),
      () => Promise.all(keys.map((key) => namespace.put(key, value))),
    ])
    // Every put in one transaction.
    const [rawBatch, kvBatch] = await medianTimes(ROUNDS, [
      () =>
        rawEnv.transactionSync(() => {
          for (const key of keys) raw.putSync(encoder.encode(key), rawValue)
        }),
      () =>
        namespace.batch((batch) => {
          for (const key of keys) batch.put(key, value)
        }),
    ])
    // Reads awaited one at a time, as an app would.
    const [rawGet, kvGet] = await medianTimes(ROUNDS, [
      async () => {
        for (const key of keys) await raw.get(encoder.encode(key))
      },
      async () => {
        for (const key of keys) await namespace.get(key)
      },
    ])
    const n = fmtCount(COUNT)
    return [
      atLeast(`library get: ${n} keys, awaited one at a time`, ops(kvGet), ops(rawGet), 'raw lmdb-js get', 0.5, fmtOps),
      atLeast(`library put: ${n} separate calls`, ops(kvPut), ops(rawPut), 'raw lmdb-js put', 0.5, fmtOps),
      atLeast(`library put: ${n} in one batch()`, ops(kvBatch), ops(rawBatch), 'raw putSync in one transactionSync', 0.5, fmtOps),
    ]
  } finally {
    await namespace.close()
    await rawEnv.close()
  }
}

/** GET_COUNT keys read awaited one at a time: kv's text get against lmdb-js's string get of the same values. */
async function textGetRow(dir) {
  const keys = Array.from({length: GET_COUNT}, (_, i) => `user:${String(i).padStart(6, '0')}`)
  const valueOf = (i) => `{"id":${i},"name":"user ${i}","plan":"free"}`
  const rawEnv = open({path: join(dir, 'raw-text'), ...ENV_OPTIONS})
  const raw = rawEnv.openDB({name: 'values', encoding: 'string'})
  const namespace = await openNamespace('text', {dataDir: join(dir, 'kv'), create: true})
  try {
    await rawEnv.transaction(() => keys.forEach((key, i) => raw.put(key, valueOf(i))))
    await namespace.batch((batch) => keys.forEach((key, i) => batch.put(key, valueOf(i))))
    if ((await namespace.get(keys[7])) !== valueOf(7) || raw.get(keys[7]) !== valueOf(7)) throw new Error('text get returned another value')
    const [rawGet, kvGet] = await medianTimes(ROUNDS, [
      async () => {
        for (const key of keys) await raw.get(key)
      },
      async () => {
        for (const key of keys) await namespace.get(key)
      },
    ])
    return atMost(
      `library get: ${fmtCount(GET_COUNT)} keys as text, awaited one at a time, in-process`,
      kvGet,
      rawGet,
      "raw lmdb-js get, encoding: 'string'",
      2,
      fmtMs,
    )
  } finally {
    await namespace.close()
    await rawEnv.close()
  }
}

/**
 * Puts with metadata (separate calls) against lmdb-js puts of the very bytes kv stores for them, then a list
 * of LIST_KEYS keys with their metadata against lmdb-js getRange over the same range of those bytes.
 */
async function metadataRows(dir) {
  const keys = Array.from({length: COUNT}, (_, i) => `meta:${String(i).padStart(6, '0')}`)
  const value = 'x'.repeat(40)
  const metadataOf = (i) => ({id: i, owner: 'team-a', tags: ['alpha', 'beta']})
  const encoder = new TextEncoder()
  const rawKeys = keys.map((key) => encoder.encode(key))
  const rawRecords = keys.map((_, i) => encodeRecord({value: encoder.encode(value), expiresAt: null, metadata: JSON.stringify(metadataOf(i))}))
  const rawEnv = open({path: join(dir, 'raw-meta'), ...ENV_OPTIONS})
  const raw = rawEnv.openDB({name: 'records', keyEncoding: 'binary', encoding: 'binary'})
  const namespace = await openNamespace('meta', {dataDir: join(dir, 'kv'), create: true})
  try {
    const [rawPut, kvPut] = await medianTimes(ROUNDS, [
      () => Promise.all(rawKeys.map((key, i) => raw.put(key, rawRecords[i]))),
      () => Promise.all(keys.map((key, i) => namespace.put(key, value, {metadata: metadataOf(i)}))),
    ])
    const prefixOf = (round) => `meta:0${String(round % (COUNT / LIST_KEYS)).padStart(2, '0')}`
    const decoder = new TextDecoder()
    const [rawList, kvList] = await medianTimes(ROUNDS * 7, [
      (round) => {
        const start = encoder.encode(prefixOf(round))
        const end = encoder.encode(prefixOf(round).replace(/.$/, (c) => String.fromCharCode(c.charCodeAt(0) + 1)))
        let count = 0
        for (const {key, value: record} of raw.getRange({start, end, limit: LIST_KEYS + 1})) {
          if (decoder.decode(key) && record.length > 0) count++
        }
        if (count !== LIST_KEYS) throw new Error(`raw range returned ${count} keys`)
      },
      async (round) => {
        const page = await namespace.listPage({prefix: prefixOf(round), limit: LIST_KEYS})
        if (page.keys.length !== LIST_KEYS || page.keys[0].metadata?.owner !== 'team-a') throw new Error('list returned other keys')
      },
    ])
    const ops = opsPerSecond(COUNT)
    return [
      reported(`library put with metadata: ${fmtCount(COUNT)} separate calls`, ops(kvPut), ops(rawPut), 'raw lmdb-js put of the same record bytes', fmtOps, ops(kvPut) / ops(rawPut)),
      reported(
        `list ${fmtCount(LIST_KEYS)} keys with metadata (of ${fmtCount(COUNT)}), in-process`,
        kvList,
        rawList,
        'raw lmdb-js getRange of the same range and bytes',
        fmtMs,
        kvList / rawList,
      ),
    ]
  } finally {
    await namespace.close()
    await rawEnv.close()
  }
}

export async function measure() {
  return withWorkDir(async (dir) => [...(await throughputRows(dir)), await textGetRow(dir), ...(await metadataRows(dir))])
}
