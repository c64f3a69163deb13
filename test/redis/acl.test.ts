import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {aclSetUser} from '../../src/engine/store/redis/acl.js'
import {expectFailure, expectOutput, expectQuietSuccess} from '../cli/cli-assert.js'
import {runKv, tempDir, type KvResult} from '../helpers.js'
import {command, redisCli, startRedis, type RedisServer} from './servers.js'

/**
 * kv as a least-privilege Redis user: the README's ACL SETUSER line is all kv needs (the contract and CLI
 * suites run as a user with exactly these rules: test/redis/global-setup.ts), and a user who lacks one of
 * them gets one line naming what was refused and the line that fixes it.
 */

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
const PASSWORD = 'a-password'
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedis()
  // The README's line as it is, with its placeholder password; nothing else may be done as that user.
  const line = README.split('\n').find((text) => text.startsWith('ACL SETUSER kv on >PASSWORD ') && !text.includes('cluster|'))
  expect(line, 'the README shows the ACL SETUSER line for a standalone server').toBeDefined()
  expect(await redisCli(redis, line!.replace('>PASSWORD', `>${PASSWORD}`).split(' '))).toBe('OK')
  // Users of the documented rules less one command each, to see what a missing permission says.
  for (const missing of ['info', 'zadd']) {
    const [, ...args] = aclSetUser(`no-${missing}`, 'kv:', {cluster: false, password: PASSWORD}).replace(` +${missing} `, ' ').split(' ')
    await command(redis, ['ACL', ...args])
  }
  // And one that may touch only the registry and the namespaces' meta hashes, not their records.
  const [, ...narrow] = aclSetUser('narrow', 'kv:{registry}:', {cluster: false, password: PASSWORD}).split(' ')
  await command(redis, ['ACL', ...narrow, '~kv:{*}:meta'])
})
afterAll(async () => {
  await redis?.stop()
})

function kv(user: string, args: string[], input?: string): Promise<KvResult> {
  return runKv(args, {dataDir: tempDir(), configDir: tempDir(), input, env: {KV_STORE: `redis://${user}:${PASSWORD}@127.0.0.1:${redis.port}`}})
}

describe('the ACL lines the README documents', () => {
  it('are the rules kv needs, for a standalone server and for a Cluster (where they add the cluster subcommands)', () => {
    expect(README).toContain(`\n${aclSetUser('kv', 'kv:', {cluster: false, password: 'PASSWORD'})}\n`)
    expect(README).toContain(`\n${aclSetUser('kv', 'kv:', {cluster: true, password: 'PASSWORD'})}\n`)
  })

  it('let every command work as that user, with the default user switched off', async () => {
    await command(redis, ['ACL', 'SETUSER', 'admin', 'on', '>admin-password', '~*', '&*', '+@all'])
    await command(redis, ['ACL', 'SETUSER', 'default', 'off'])
    try {
      const dataDir = tempDir()
      const configDir = tempDir()
      const run = (args: string[], input?: string) => runKv(args, {dataDir, configDir, input, env: {KV_STORE: `redis://kv:${PASSWORD}@127.0.0.1:${redis.port}`}})
      expect(await run(['ns', 'create', 'flags'])).toMatchObject({code: 0, stderr: 'kv: created namespace "flags"\n'})
      expectQuietSuccess(await run(['put', 'beta', 'on', '-n', 'flags', '--expires-in', '1h', '--metadata', '{"owner":"ana"}']))
      expectOutput(await run(['get', 'beta', '-n', 'flags']), 'on')
      expectOutput(await run(['incr', 'hits', '-n', 'flags']), '1\n')
      expect((await run(['import', '-', '-n', 'flags'], '[{"key":"a","value":"1"},{"key":"b","value":"2","expiration_ttl":600}]')).code).toBe(0)
      expectOutput(await run(['list', '-n', 'flags']), 'a\nb\nbeta\nhits\n')
      expect((await run(['export', '-n', 'flags'])).text.split('\n')).toHaveLength(5)
      expectOutput(await run(['ns', 'check', 'flags']), 'flags\tok\n')
      expect((await run(['delete', '--prefix', 'b', '--yes', '-n', 'flags'])).code).toBe(0)
      expectOutput(await run(['ns', 'list']), 'flags\n')
      expect((await run(['ns', 'delete', 'flags', '--yes'])).code).toBe(0)
      expect((await run(['store', 'use', `redis://kv:${PASSWORD}@127.0.0.1:${redis.port}`])).code).toBe(0)
    } finally {
      await redisCli(redis, ['--user', 'admin', '--pass', 'admin-password', '--no-auth-warning', 'ACL', 'SETUSER', 'default', 'on'])
    }
  })
})

describe('a user without one of the permissions', () => {
  it('without INFO: one line naming INFO and the ACL command that grants what kv needs', async () => {
    const line = expectFailure(await kv('no-info', ['get', 'k']), 4)
    expect(line).toBe(
      `kv: storage failure on redis://no-info:***@127.0.0.1:${redis.port}: the Redis user "no-info" lacks a permission kv needs ` +
        `(this user has no permissions to run the 'info' command); grant kv's commands and keys with: ${aclSetUser('no-info', 'kv:', {cluster: false})}`,
    )
  })

  it('without a data command: refused when it connects, naming the command, before any script wrote anything', async () => {
    const keys = await command(redis, ['KEYS', '*'])
    const line = expectFailure(await kv('no-zadd', ['put', 'k', 'v']), 4)
    expect(line).toBe(
      `kv: storage failure on redis://no-zadd:***@127.0.0.1:${redis.port}: the Redis user "no-zadd" lacks a permission kv needs ` +
        `(may not run zadd on kv's keys); grant kv's commands and keys with: ${aclSetUser('no-zadd', 'kv:', {cluster: false})}`,
    )
    expect(await command(redis, ['KEYS', '*'])).toEqual(keys)
  })

  it('refused inside a script (a key the user may not touch): one line with the fix, not the script\'s SHA', async () => {
    expect((await kv('narrow', ['ns', 'create', 'n'])).code).toBe(0)
    const line = expectFailure(await kv('narrow', ['put', 'k', 'v', '-n', 'n']), 4)
    expect(line).toMatch(/^kv: storage failure on \S+: the Redis user "narrow" lacks a permission kv needs \(.+\); grant kv's commands and keys with: ACL SETUSER narrow ~kv:\* /)
    expect(line).not.toMatch(/[0-9a-f]{40}|user_script/)
    expect(await command(redis, ['KEYS', 'kv:*:r:*'])).toEqual([])
  })
})
