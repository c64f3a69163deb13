import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {kvSandbox, type KvResult} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'

const WRITERS = 8
const KEYS_PER_WRITER = 20

describe('several kv processes on one namespace', () => {
  it(
    `${WRITERS} writers × ${KEYS_PER_WRITER} puts: every key lands with its value; concurrent readers never fail`,
    async () => {
      const {kv, env: sandboxEnv, location} = kvSandbox()
      expect((await kv(['ns', 'create', 'shared'])).code).toBe(0)
      expectQuietSuccess(await kv(['put', '-n', 'shared', 'seed', 'seed value']))

      const env = {...sandboxEnv, KV_NAMESPACE: 'shared'}
      const writers = Array.from({length: WRITERS}, (_, w) =>
        sh(
          `i=0; while [ $i -lt ${KEYS_PER_WRITER} ]; do kv put "w${w}-k$i" "value of ${w}/$i" || exit 1; i=$((i + 1)); done`,
          env,
        ),
      )
      let writing = true
      const done = Promise.all(writers).finally(() => {
        writing = false
      })

      // One reader, one process at a time (the machine is busy enough), until the writers are done.
      const readers: [string, string[]][] = [
        ['list', ['list', '-n', 'shared']],
        ['get', ['get', '-n', 'shared', 'seed']],
        ['list --json', ['list', '-n', 'shared', '--json', '--limit', '50']],
      ]
      const readerResults: {what: string; result: KvResult}[] = []
      const reader = async () => {
        for (let round = 0; round < 3 || (writing && round < 15); round++) {
          const [what, args] = readers[round % readers.length]
          readerResults.push({what, result: await kv(args)})
        }
      }
      const [writerResults] = await Promise.all([done, reader()])

      for (const [w, result] of writerResults.entries()) {
        expect({writer: w, code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({writer: w, code: 0, stdout: '', stderr: ''})
      }
      expect(readerResults.length).toBeGreaterThanOrEqual(3)
      for (const {what, result} of readerResults) {
        expect({what, code: result.code, stderr: result.stderr}).toEqual({what, code: 0, stderr: ''})
        if (what === 'get') expect(result.text).toBe('seed value')
        if (what === 'list') {
          const names = result.text.split('\n').slice(0, -1)
          expect(names).toContain('seed')
          expect([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(names)
        }
        if (what === 'list --json') expect(JSON.parse(result.text).keys.length).toBeGreaterThan(0)
      }

      const expected = new Map<string, string>([['seed', 'seed value']])
      for (let w = 0; w < WRITERS; w++) for (let i = 0; i < KEYS_PER_WRITER; i++) expected.set(`w${w}-k${i}`, `value of ${w}/${i}`)
      const sorted = [...expected.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))

      const list = await kv(['list', '-n', 'shared'])
      expectOutput(list, sorted.map((key) => `${key}\n`).join(''))
      expectOutput(await kv(['get', '-n', 'shared', 'w7-k19']), 'value of 7/19')
      // Every value, checked through the library rather than 160 more processes.
      const namespace = await openNamespace('shared', location)
      try {
        for (const [key, value] of expected) expect(await namespace.get(key), key).toBe(value)
      } finally {
        await namespace.close()
      }
    },
    180_000,
  )

  it('first puts racing on a fresh store all succeed (the default namespace is created once)', async () => {
    const {kv} = kvSandbox()
    const keys = Array.from({length: 8}, (_, i) => `race-${i}`)
    const results = await Promise.all(keys.map((key) => kv(['put', key, `v${key}`])))
    for (const result of results) expectQuietSuccess(result)
    expectOutput(await kv(['list']), keys.map((key) => `${key}\n`).join(''))
  })

  it('racing ns create of one name: exactly one succeeds, the others exit 3', async () => {
    const {kv} = kvSandbox()
    const results = await Promise.all(Array.from({length: 6}, () => kv(['ns', 'create', 'contested'])))
    const codes = results.map((result) => result.code).sort()
    expect(codes).toEqual([0, 3, 3, 3, 3, 3])
    for (const result of results) if (result.code === 3) expectFailure(result, 3)
    expectQuietSuccess(await kv(['put', '-n', 'contested', 'k', 'v']))
  })

  it('an app holding the namespace open sees what kv writes, and kv sees what the app writes', async () => {
    const {kv, location} = kvSandbox()
    expect((await kv(['ns', 'create', 'app'])).code).toBe(0)
    const app = await openNamespace('app', location)
    try {
      expect(await app.get('flag')).toBeNull()
      expectQuietSuccess(await kv(['put', '-n', 'app', 'flag', 'on']))
      expect(await app.get('flag')).toBe('on')
      expectQuietSuccess(await kv(['put', '-n', 'app', 'flag', 'off']))
      expect(await app.get('flag')).toBe('off')
      await app.put('from-app', 'hello', {expiresIn: 3600})
      expectOutput(await kv(['get', '-n', 'app', 'from-app']), 'hello')
      expectQuietSuccess(await kv(['delete', '-n', 'app', 'flag']))
      expect(await app.get('flag')).toBeNull()
      expect(await app.list()).toEqual(['from-app'])
    } finally {
      await app.close()
    }
  })
})
