import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {afterEach, describe, expect, it} from 'vitest'

import {checkNamespace, createNamespace, openNamespace} from '../../src/index.js'
import {encodeHeader} from '../../src/engine/store/change-log.js'
import {encodeRecord} from '../../src/engine/store/record.js'
import {expectFailure, expectOutput, expectQuietSuccess} from '../cli/cli-assert.js'
import {runKv, tempDir} from '../helpers.js'
import {command, startRedis, type RedisServer} from './servers.js'

/**
 * A Redis import whose commit the server cannot take (issue 20's second part): what kv says must be what
 * happened. Each test has a server of its own: they change its maxmemory.
 */

const servers: RedisServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

async function server(): Promise<RedisServer> {
  const redis = await startRedis({config: {'maxmemory-policy': 'noeviction'}})
  servers.push(redis)
  return redis
}

async function usedMemory(redis: RedisServer): Promise<number> {
  const info = (await command(redis, ['INFO', 'memory'])) as string
  return Number(/^used_memory:(\d+)/m.exec(info)![1])
}

describe('an import into Redis that the server has no room for', () => {
  it('fails before its commit when applying it would pass maxmemory: exit 4, nothing imported, nothing left staged', async () => {
    const redis = await server()
    const env = {KV_STORE: redis.url}
    const kv = (args: string[]) => runKv(args, {dataDir: tempDir(), configDir: tempDir(), env})
    expectQuietSuccess(await kv(['put', 'kept', 'yes']))
    const file = join(tempDir(), 'records.ndjson')
    writeFileSync(file, Array.from({length: 100_000}, (_, i) => JSON.stringify({key: `flag:${i}`, value: `value ${i}`})).join('\n'))
    // Room to stage the records (about 10 MiB), not to apply them (about 25 MiB more than staged).
    await command(redis, ['CONFIG', 'SET', 'maxmemory', String((await usedMemory(redis)) + 16 * 2 ** 20)])
    const result = await kv(['import', file])
    const line = expectFailure(result, 4)
    expect(line).toMatch(/^kv: not enough memory on the server to apply the import: it needs about [\d.]+ MiB more, and [\d.]+ MiB of maxmemory \([\d.]+ MiB\) is free; nothing was imported$/)
    expect((await kv(['list', '--prefix', 'flag:', '--limit', '5'])).text).toBe('')
    expectOutput(await kv(['get', 'kept']), 'yes')
    const staged = ((await command(redis, ['KEYS', '*:stage:*'])) as string[]).length
    expect(staged).toBe(0)
  })

  it('a commit the server stops applying: exit-5 wording on the next write, readable meanwhile, finished once there is room', async () => {
    const redis = await server()
    const store = redis.url
    await createNamespace('big', {store})
    const id = (await command(redis, ['HGET', 'kv:{registry}:namespaces', 'big'])) as string
    const tag = `kv:{${id}}`
    // What an importer leaves when the server refused its second chunk: chunk 0 applied (its key is there),
    // chunks 1 and 2 staged and permanent, the commit marked with its header.
    const client = new Redis(redis.url)
    try {
      const record = (value: string) => Buffer.from(encodeRecord({value: Buffer.from(value), expiresAt: null, metadata: null}, 0))
      await client.hset(`${tag}:meta`, 'committing:imp1', '3', 'header:imp1', encodeHeader({actor: 'ci', operation: 'import'}, Date.now()))
      await client.rpush(`${tag}:stage:imp1:1`, 'a', record('from chunk 1'), '')
      await client.rpush(`${tag}:stage:imp1:2`, 'b', record('from chunk 2'), '')
    } finally {
      client.disconnect()
    }
    const report = await checkNamespace('big', {store})
    expect(report.notes).toContainEqual(expect.stringMatching(/^an import of 3 chunks was committed and is not fully applied: the next write/))
    // No room at all: the roll-forward a new handle tries fails, and the namespace stays readable.
    await command(redis, ['CONFIG', 'SET', 'maxmemory', String(await usedMemory(redis))])
    const ns = await openNamespace('big', {store})
    try {
      expect(await ns.get('a')).toBeNull()
      const env = {KV_STORE: store}
      const kv = (args: string[]) => runKv(args, {dataDir: tempDir(), configDir: tempDir(), env})
      expectOutput(await kv(['list', '-n', 'big']), '')
      const refused = await kv(['put', 'c', 'later', '-n', 'big'])
      const line = expectFailure(refused, 5)
      expect(line).toMatch(/^kv: an earlier import was committed, but the server stopped applying it \(.*OOM.*\): the rest is applied by the next write to the namespace once the server can take it/)
      // Room again: the next write applies the import first, then itself.
      await command(redis, ['CONFIG', 'SET', 'maxmemory', '0'])
      expectQuietSuccess(await kv(['put', 'c', 'later', '-n', 'big']))
      expect(await ns.get(['a', 'b', 'c'])).toEqual(new Map([['a', 'from chunk 1'], ['b', 'from chunk 2'], ['c', 'later']]))
      const changes = (await ns.history()).changes.map((change) => [change.key, change.actor, change.operation])
      expect(changes).toEqual([
        ['c', expect.any(String), 'put'],
        ['b', 'ci', 'import'],
        ['a', 'ci', 'import'],
      ])
      expect(await command(redis, ['HGETALL', `${tag}:meta`])).not.toContain('committing:imp1')
      expect((await checkNamespace('big', {store})).notes).toEqual([])
    } finally {
      await ns.close()
    }
  })
})
