import {spawn} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {childEnv, KV_BIN, kvSandbox, tempDir} from '../helpers.js'

const RECORDS = 200_000

async function writeRecords(path: string): Promise<void> {
  const out = createWriteStream(path)
  for (let i = 0; i < RECORDS; i += 10_000) {
    let chunk = ''
    for (let j = i; j < i + 10_000; j++) chunk += `${JSON.stringify({key: `key:${String(j).padStart(7, '0')}`, value: `value ${j} `.padEnd(40, '.')})}\n`
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve(undefined))))
}

/** Starts `kv import`, kills it with SIGKILL `afterMs` after it started, and says how it ended. */
function importKilledAfter(file: string, env: NodeJS.ProcessEnv, afterMs: number): Promise<{signal: NodeJS.Signals | null; code: number | null}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KV_BIN, 'import', file, '-n', 'target'], {env, stdio: 'ignore'})
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal})
    })
  })
}

async function emptied(dataDir: string): Promise<void> {
  const ns = await openNamespace('target', {dataDir})
  try {
    expect(await ns.deletePrefix('')).toBe(RECORDS)
  } finally {
    await ns.close()
  }
}

describe('kv import killed with SIGKILL', () => {
  it(
    `leaves all ${RECORDS.toLocaleString('en-US')} records or none, and a namespace that opens and takes writes`,
    async () => {
      const {kv, dataDir, configDir} = kvSandbox()
      const file = join(tempDir(), 'records.ndjson')
      await writeRecords(file)
      expect((await kv(['ns', 'create', 'target'])).code).toBe(0)
      const env = childEnv({KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: configDir})

      // How long a whole import takes here, so the kills land while it reads and writes.
      const started = Date.now()
      expect(await importKilledAfter(file, env, 600_000)).toEqual({code: 0, signal: null})
      const fullMs = Date.now() - started
      await emptied(dataDir)

      const outcomes: string[] = []
      for (const fraction of [0.35, 0.5, 0.65, 0.8, 0.9, 0.97].map((f) => f + (Math.random() - 0.5) * 0.05)) {
        const ended = await importKilledAfter(file, env, Math.round(fullMs * fraction))
        const ns = await openNamespace('target', {dataDir})
        try {
          const {keys} = await ns.stats()
          expect([0, RECORDS], `keys after a kill at ${Math.round(fraction * 100)}% (${JSON.stringify(ended)})`).toContain(keys)
          outcomes.push(`${ended.signal ?? ended.code}:${keys}`)
          if (keys === RECORDS) {
            expect(await ns.get(`key:${String(RECORDS - 1).padStart(7, '0')}`)).toMatch(/^value 199999 \.+$/)
            await ns.deletePrefix('key:')
          }
          await ns.put('written after the kill', 'ok')
          expect(await ns.get('written after the kill')).toBe('ok')
          await ns.delete('written after the kill')
        } finally {
          await ns.close()
        }
      }
      // The test means something only if most imports really were killed midway.
      expect(outcomes.filter((outcome) => outcome.startsWith('SIGKILL')).length, outcomes.join(' ')).toBeGreaterThanOrEqual(3)
    },
    180_000,
  )
})
