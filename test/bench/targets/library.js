// The binding's get and put against raw lmdb-js on the same data, same environment options.
import {join} from 'node:path'
import {open} from 'lmdb'

import {openNamespace} from '../../../dist/index.js'
import {atLeast, fmtCount, fmtOps, medianTimes, withWorkDir} from '../lib.js'

const COUNT = 20_000
const ROUNDS = 7
/** As src/engine/store/lmdb.ts opens every environment. */
const ENV_OPTIONS = {noSubdir: false, overlappingSync: false, pageSize: 4096, maxDbs: 4}

export async function measure() {
  return withWorkDir(async (dir) => {
    const keys = Array.from({length: COUNT}, (_, i) => `user:${String(i).padStart(6, '0')}`)
    const value = 'x'.repeat(40)
    const encoder = new TextEncoder()
    const rawValue = encoder.encode(value)
    const rawEnv = open({path: join(dir, 'raw'), ...ENV_OPTIONS})
    const raw = rawEnv.openDB({name: 'values', keyEncoding: 'binary', encoding: 'binary'})
    const namespace = await openNamespace('bench', {dataDir: join(dir, 'kv'), create: true})
    const opsPerSecond = (ms) => COUNT / (ms / 1000)
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
        atLeast(`library get: ${n} keys, awaited one at a time`, opsPerSecond(kvGet), opsPerSecond(rawGet), 'raw lmdb-js get', 0.5, fmtOps),
        atLeast(`library put: ${n} separate calls`, opsPerSecond(kvPut), opsPerSecond(rawPut), 'raw lmdb-js put', 0.5, fmtOps),
        atLeast(`library put: ${n} in one batch()`, opsPerSecond(kvBatch), opsPerSecond(rawBatch), 'raw putSync in one transactionSync', 0.5, fmtOps),
      ]
    } finally {
      await namespace.close()
      await rawEnv.close()
    }
  })
}
