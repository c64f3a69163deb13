import {afterEach, describe, expect, it} from 'vitest'

import {expectOutput, expectQuietSuccess} from '../cli/cli-assert.js'
import {runKv, tempDir} from '../helpers.js'
import {startRedis, type RedisServer} from './servers.js'

const servers: RedisServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

describe('durability on Redis', () => {
  it('with appendonly yes and appendfsync always, every write kv reported done survives kill -9 of redis-server', async () => {
    const redis = await startRedis({config: {appendonly: 'yes', appendfsync: 'always'}})
    servers.push(redis)
    const env = {KV_STORE: redis.url}
    const kv = (args: string[], input?: string) => runKv(args, {dataDir: tempDir(), configDir: tempDir(), env, input})
    expectQuietSuccess(await kv(['put', 'flag', 'off']))
    expectQuietSuccess(await kv(['put', 'flag', 'on', '--expires-in', '1d'])) // revision 2
    expect((await kv(['incr', 'hits', '--by', '5'])).text).toBe('5\n')
    const imported = await kv(['import', '-'], Array.from({length: 3000}, (_, i) => JSON.stringify({key: `k${i}`, value: `v${i}`})).join('\n'))
    expect(imported.code).toBe(0)
    expectQuietSuccess(await kv(['delete', 'k7']))
    await redis.kill9()
    await redis.restart()
    expectOutput(await kv(['get', 'flag']), 'on')
    expectOutput(await kv(['get', 'hits']), '5')
    expect((await kv(['list', '--prefix', 'k', '--limit', '100000'])).text.split('\n').filter(Boolean)).toHaveLength(2999)
    expect((await kv(['get', 'k7'])).code).toBe(1)
    // The history is written by the same scripts as the data: it survives with it.
    expectOutput(await kv(['get', 'flag', '--revision', '1']), 'off')
    const history = JSON.parse((await kv(['history', 'flag', '--json'])).text) as {changes: {revision: number; type: string}[]}
    expect(history.changes.map((change) => [change.revision, change.type])).toEqual([
      [2, 'put'],
      [1, 'put'],
    ])
    const log = JSON.parse((await kv(['history', '--json', '--limit', '100000'])).text) as {changes: {revision: number}[]}
    // Two puts, an incr, 3,000 imported keys and a delete: every change once.
    expect(log.changes).toHaveLength(3004)
  })

  it('without persistence the same kill -9 loses everything: the test above can fail', async () => {
    const redis = await startRedis()
    servers.push(redis)
    const kv = (args: string[]) => runKv(args, {dataDir: tempDir(), configDir: tempDir(), env: {KV_STORE: redis.url}})
    expectQuietSuccess(await kv(['put', 'flag', 'on']))
    await redis.kill9()
    await redis.restart()
    expect((await kv(['get', 'flag'])).code).toBe(1)
  })
})
