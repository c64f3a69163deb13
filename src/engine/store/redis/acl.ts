import type {Connection} from './connection.js'

/**
 * What a least-privilege Redis user needs to run kv: the commands kv sends, directly or from its scripts (a
 * script's commands are checked against the user's permissions too), on the keys under kv's prefix. The
 * README shows `aclSetUser` for the default prefix; the Redis test suites run as a user given exactly these
 * rules (test/redis/global-setup.ts), so a command added without its permission fails there.
 */

/** SELECT for a URL's /db, INFO for the server checks, the scripts, and SCAN (ns check). */
const SERVER = ['select', 'info', 'eval', 'evalsha', 'scan']
/** Sent directly and from scripts (store/redis/scripts.ts, check.ts, backend.ts, store.ts, import.ts). */
const DATA = [
  'exists', 'type', 'get', 'mget', 'set', 'mset', 'getrange', 'setrange', 'strlen', 'unlink', 'rename',
  'hget', 'hmget', 'hset', 'hsetnx', 'hdel', 'hkeys', 'hgetall',
  'sadd', 'srem', 'smembers',
  'zadd', 'zrem', 'zscore', 'zcard', 'zcount', 'zrange', 'zremrangebyrank', 'zremrangebyscore', 'zscan',
  'rpush', 'lrange', 'pexpire', 'pttl', 'persist',
]
/** A Cluster client's slot map, the cluster's state, and where a namespace's slot lives (ns check). */
const CLUSTER = ['cluster|info', 'cluster|slots', 'cluster|keyslot']

/**
 * The ACL rules that let a user do what kv does under `prefix`. They only add: a new user gets nothing else,
 * and an existing user keeps what it may do besides.
 */
export function aclRules(prefix: string, {cluster}: {cluster: boolean}): string {
  const commands = [...SERVER, ...DATA, ...(cluster ? CLUSTER : [])]
  // Redis's key patterns are globs: the prefix's own glob characters are matched literally.
  return `~${prefix.replace(/[*?[\]\\]/g, '\\$&')}* ${commands.map((command) => `+${command}`).join(' ')}`
}

/** The command that gives `user` kv's permissions (run it on every node of a Cluster: ACLs are per node). */
export function aclSetUser(user: string, prefix: string, {cluster, password}: {cluster: boolean; password?: string}): string {
  return `ACL SETUSER ${user}${password === undefined ? '' : ` on >${password}`} ${aclRules(prefix, {cluster})}`
}

/**
 * KEYS: a key under kv's prefix. ARGV: commands. Returns those the user may not run on such a key; none where
 * the server cannot tell (redis.acl_check_cmd came with Redis 7.0).
 */
const REFUSED = `
if redis.acl_check_cmd == nil then return {} end
local refused = {}
for _, command in ipairs(ARGV) do
  if not redis.acl_check_cmd(command, KEYS[1]) then refused[#refused + 1] = command end
end
return refused
`

/**
 * The data commands the connection's user may not run on kv's keys. Asked once, when a connection opens: a
 * script refused a command halfway would already have made its first changes (scripts do not roll back).
 */
export async function refusedCommands(connection: Connection, sampleKey: Buffer): Promise<string[]> {
  const refused = (await connection.script(REFUSED, [sampleKey], DATA)) as Buffer[]
  return refused.map((command) => command.toString())
}
