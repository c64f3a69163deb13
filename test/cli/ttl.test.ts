import {describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {kvSandbox} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

const TTLS: Record<string, number> = {'90s': 90, '30m': 30 * 60, '1h': 3600, '7d': 7 * 86_400, '45': 45}

describe('kv put --expires-in', () => {
  it('accepts 90s, 30m, 1h, 7d and 45 (seconds): expiresAt is now + ttl', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'first', 'v']))
    const before = Date.now()
    const puts = await Promise.all(Object.keys(TTLS).map((ttl) => kv(['put', `ttl-${ttl}`, ttl, '--expires-in', ttl])))
    const after = Date.now()
    for (const put of puts) expectQuietSuccess(put)

    const gets = await Promise.all(Object.keys(TTLS).map((ttl) => kv(['get', `ttl-${ttl}`, '--json'])))
    for (const [i, [ttl, seconds]] of Object.entries(TTLS).entries()) {
      const entry = JSON.parse(gets[i].text) as {key: string; value: string; base64: boolean; expiresAt: number}
      expect(gets[i].code).toBe(0)
      expect({key: entry.key, value: entry.value, base64: entry.base64}).toEqual({key: `ttl-${ttl}`, value: ttl, base64: false})
      expect(Number.isInteger(entry.expiresAt)).toBe(true)
      // Exact bounds, not a timing assumption: the put ran between `before` and `after`.
      expect(entry.expiresAt).toBeGreaterThanOrEqual(before + seconds * 1000)
      expect(entry.expiresAt).toBeLessThanOrEqual(after + seconds * 1000 + 1)
    }

    // list --json reports the same expiry times.
    const list = await kv(['list', '--json', '--prefix', 'ttl-'])
    const page = JSON.parse(list.text) as {keys: {name: string; expiresAt: number}[]}
    for (const [i, ttl] of Object.keys(TTLS).entries()) {
      expect(page.keys.find((key) => key.name === `ttl-${ttl}`)?.expiresAt).toBe(JSON.parse(gets[i].text).expiresAt)
    }
  })

  it('the key is gone once its time has passed (seen through the library with a clock in the future)', async () => {
    const {kv, location} = kvSandbox()
    const before = Date.now()
    expectQuietSuccess(await kv(['put', 'session', 'data', '--expires-in', '1h']))
    expectQuietSuccess(await kv(['put', 'forever', 'data']))
    const after = Date.now()

    let now = before + 3600_000 - 1
    const namespace = await openNamespace('default', {...location, clock: () => now})
    try {
      expect(await namespace.get('session')).toBe('data')
      now = after + 3600_000 + 1
      expect(await namespace.get('session')).toBeNull()
      expect(await namespace.list()).toEqual(['forever'])
    } finally {
      await namespace.close()
    }
    // Not yet expired for the real clock: the CLI still sees it.
    expectOutput(await kv(['get', 'session']), 'data')
  })

  it('a put without --expires-in removes an existing expiration', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v1', '--expires-in', '1h']))
    const withTtl = JSON.parse((await kv(['get', 'k', '--json'])).text)
    expect(withTtl.expiresAt).toEqual(expect.any(Number))
    expectQuietSuccess(await kv(['put', 'k', 'v2']))
    const [json, list] = await Promise.all([kv(['get', 'k', '--json']), kv(['list', '--json'])])
    expect(JSON.parse(json.text)).toEqual({key: 'k', value: 'v2', base64: false, expiresAt: null, metadata: null, revision: 2})
    expect(JSON.parse(list.text)).toEqual({keys: [{name: 'k', expiresAt: null, metadata: null, revision: 2}], cursor: null, complete: true})
  })

  it('rejects garbage TTLs with exit 2 and one line, storing nothing', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'previous']))
    const garbage = ['0', '-5', 'abc', '1x', '1e999', '99999999999d', '', '1.5.2', 'Infinity', '0s', '1 h']
    const results = await Promise.all([
      ...garbage.map((ttl) => kv(['put', 'k', 'new', '--expires-in', ttl])),
      kv(['put', 'k', 'new', '--expires-in=-5']),
    ])
    for (const [i, result] of results.entries()) {
      const ttl = garbage[i] ?? '-5'
      expect(result.code, `--expires-in ${JSON.stringify(ttl)}`).toBe(2)
      // One wording for every bad TTL, in the CLI's terms, naming the limits.
      expect(expectFailure(result, 2)).toBe(
        `kv: --expires-in: invalid TTL ${JSON.stringify(ttl)}: use more than 0 seconds and at most 100 years, as seconds or a number with s, m, h or d (90s, 30m, 1h, 7d)`,
      )
    }
    expect(expectFailure(await kv(['incr', 'n', '--expires-in', '0']), 2)).toMatch(/^kv: --expires-in: invalid TTL "0": use more than 0 seconds/)
    const json = JSON.parse((await kv(['get', 'k', '--json'])).text)
    expect(json).toEqual({key: 'k', value: 'previous', base64: false, expiresAt: null, metadata: null, revision: 1})
  })
})
