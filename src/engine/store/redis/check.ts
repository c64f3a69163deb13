import {successor} from '../../key-range.js'
import {describeKey, describeTime, Findings, keyProblem, type StoreCheck} from '../check.js'
import {KvError} from '../../errors.js'
import {MAX_HEAD_BYTES, recordDamage, recordExpiry} from '../record.js'
import type {Connection} from './connection.js'
import {FORMAT} from './backend.js'
import {pendingImports} from './import.js'
import {lexBounds, type NamespaceKeys} from './layout.js'

/**
 * `kv ns check` on Redis: the namespace's indexes and records agree (layout in scripts.ts).
 *
 * 1. Every member of `keys` (read in chunks, in key order) has score 0 and a record string that decodes; a
 *    record that expires is in `exp` scored by its expiry time, one that never expires is not.
 * 2. Every member of `exp` is in `keys` too.
 * 3. Every record string under the namespace's hash tag is in `keys`; staged import chunks are counted, not
 *    problems (they expire by themselves).
 *
 * Each chunk is checked by one read-only script, so what it finds is true at one instant: writes by other
 * clients meanwhile never show up as problems (they can only make the check miss a key written meanwhile).
 */

/** Members a script checks at once, and SCAN's batch size: about a millisecond of the server's time. */
const CHUNK = 500

/**
 * KEYS: keys, exp. ARGV: min, max (ZRANGE BYLEX), limit, rprefix, head bytes.
 * Returns, per member: member, its score in keys, the record's type, its head (or ''), its score in exp (or '').
 */
const CHECK_KEYS = `
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local last = tonumber(ARGV[5]) - 1
for _, member in ipairs(members) do
  local rkey = ARGV[4] .. member
  local kind = redis.call('TYPE', rkey)['ok']
  out[#out + 1] = member
  out[#out + 1] = redis.call('ZSCORE', KEYS[1], member) or ''
  out[#out + 1] = kind
  if kind == 'string' then
    out[#out + 1] = redis.call('GETRANGE', rkey, 0, last)
  else
    out[#out + 1] = ''
  end
  out[#out + 1] = redis.call('ZSCORE', KEYS[2], member) or ''
end
return out
`

/** KEYS: keys, exp. ARGV: rprefix, members... Returns, per member still in exp but not in keys: member, 1 if it has a record else 0. */
const CHECK_EXP = `
local out = {}
for i = 2, #ARGV do
  local member = ARGV[i]
  if redis.call('ZSCORE', KEYS[2], member) and not redis.call('ZSCORE', KEYS[1], member) then
    out[#out + 1] = member
    out[#out + 1] = redis.call('EXISTS', ARGV[1] .. member)
  end
end
return out
`

/** KEYS: keys. ARGV: rprefix, record keys... Returns the members whose record exists but which keys does not hold. */
const CHECK_RECORDS = `
local out = {}
local skip = #ARGV[1]
for i = 2, #ARGV do
  local member = string.sub(ARGV[i], skip + 1)
  if redis.call('EXISTS', ARGV[i]) == 1 and not redis.call('ZSCORE', KEYS[1], member) then out[#out + 1] = member end
end
return out
`

export async function checkRedisNamespace(connection: Connection, keys: NamespaceKeys, now: number): Promise<StoreCheck> {
  const findings = new Findings()
  const fields = (await connection.call('HGETALL', keys.meta)) as Buffer[]
  const format = fields.find((_, i) => i % 2 === 1 && fields[i - 1].toString() === 'format')?.toString()
  if (format !== undefined && format !== String(FORMAT)) findings.note(`stored in format ${format}, which this kv does not know`)
  const pending = pendingImports(fields)
  for (const {count} of pending) {
    findings.note(`an import of ${count} chunk${count === 1 ? '' : 's'} was committed and is not fully applied: the next write to the namespace applies the rest (its staged chunks are kept until then)`)
  }
  const counts = await readingIndex('keys', findings, () => checkKeys(connection, keys, now, findings))
  const indexedExpiries = await readingIndex('exp', findings, () => checkExp(connection, keys, findings))
  const space = await readingIndex('keys', findings, () => checkKeySpace(connection, keys, findings))
  const committing = new Set(pending.map(({importId}) => importId))
  const staging = (space?.staged ?? []).filter((chunk) => !committing.has(chunk.importId))
  if (staging.length > 0) {
    // The truth about their TTL: each staged chunk expires on its own unless its commit begins.
    const ttls = (await Promise.all(staging.map((chunk) => connection.call('PTTL', chunk.key)))) as number[]
    const lasting = ttls.filter((ttl) => ttl < 0).length
    const longest = Math.max(0, ...ttls)
    findings.note(
      `${staging.length} staged import chunk${staging.length === 1 ? '' : 's'} of an import still staging, or one stopped while staging: ` +
        (lasting > 0 ? `${lasting} without an expiry (kv never leaves one so: a problem)` : `the last expires in ${Math.ceil(longest / 60_000)} min`),
    )
    if (lasting > 0) findings.problem('index', `${lasting} staged import chunk${lasting === 1 ? ' has' : 's have'} no expiry and no commit: nothing will remove ${lasting === 1 ? 'it' : 'them'}`)
  }
  return {
    entries: counts?.entries ?? 0,
    withExpiry: counts?.withExpiry ?? 0,
    expired: counts?.expired ?? 0,
    problems: findings.problems,
    problemCount: findings.problemCount,
    notes: findings.notes,
    bytesOnDisk: null,
    details: {
      store: 'redis',
      indexedKeys: counts?.entries ?? 0,
      indexedExpiries: indexedExpiries ?? 0,
      records: space?.records ?? 0,
      stagedChunks: space?.staged.length ?? 0,
    },
  }
}

/** An index of the wrong type (WRONGTYPE) is a problem of the namespace; any other failure is the server's. */
async function readingIndex<T>(index: string, findings: Findings, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (error) {
    if (!(error instanceof KvError && /WRONGTYPE/.test(error.message))) throw error
    findings.problem('index', `the ${index} index is not a sorted set (WRONGTYPE)`)
    return undefined
  }
}

async function checkKeys(connection: Connection, keys: NamespaceKeys, now: number, findings: Findings) {
  const counts = {entries: 0, withExpiry: 0, expired: 0}
  let from: Uint8Array = new Uint8Array(0)
  for (;;) {
    const [min, max] = lexBounds(from, undefined)
    const reply = (await connection.script(CHECK_KEYS, [keys.keys, keys.exp], [min, max, CHUNK, keys.rprefix, MAX_HEAD_BYTES])) as (Buffer | number)[]
    for (let i = 0; i < reply.length; i += 5) {
      const [member, score, type, head, expScore] = reply.slice(i, i + 5) as Buffer[]
      counts.entries++
      checkMember(member, {score: score.toString(), type: type.toString(), head, expScore: expScore.toString()}, now, findings, counts)
      from = successor(member)
    }
    if (reply.length / 5 < CHUNK) return counts
  }
}

function checkMember(
  member: Buffer,
  found: {score: string; type: string; head: Buffer; expScore: string},
  now: number,
  findings: Findings,
  counts: {withExpiry: number; expired: number},
): void {
  const name = describeKey(member)
  const damagedKey = keyProblem(member)
  if (damagedKey !== undefined) findings.problem('record', `key ${name}: ${damagedKey}`)
  if (found.score !== '0') findings.problem('index', `keys: key ${name} has score ${found.score}, not 0 (lists can miss it)`)
  if (found.type !== 'string') {
    findings.problem('index', found.type === 'none' ? `keys: key ${name} has no record` : `key ${name}: its record is a ${found.type}, not a string`)
    return
  }
  // The head holds the header and the longest metadata kv writes: what recordDamage looks at.
  const damage = recordDamage(found.head)
  if (damage !== undefined) {
    findings.problem('record', `key ${name}: ${damage}`)
    return
  }
  const expiresAt = recordExpiry(found.head)
  const indexed = found.expScore === '' ? undefined : Number(found.expScore)
  if (expiresAt === null) {
    if (indexed !== undefined) findings.problem('index', `key ${name} never expires, but exp says it expires at ${describeTime(indexed)}`)
    return
  }
  counts.withExpiry++
  if (expiresAt <= now) counts.expired++
  if (indexed === undefined) findings.problem('index', `key ${name} expires at ${describeTime(expiresAt)} but is not in exp (it would never be reclaimed)`)
  else if (indexed !== expiresAt) findings.problem('index', `key ${name} expires at ${describeTime(expiresAt)}, but exp says ${describeTime(indexed)}`)
}

async function checkExp(connection: Connection, keys: NamespaceKeys, findings: Findings): Promise<number> {
  let members = 0
  let cursor = '0'
  do {
    const [next, flat] = (await connection.call('ZSCAN', keys.exp, cursor, 'COUNT', CHUNK)) as [Buffer, Buffer[]]
    cursor = next.toString()
    const batch = flat.filter((_, i) => i % 2 === 0)
    members += batch.length
    if (batch.length === 0) continue
    const reply = (await connection.script(CHECK_EXP, [keys.keys, keys.exp], [keys.rprefix, ...batch])) as (Buffer | number)[]
    for (let i = 0; i < reply.length; i += 2) {
      const name = describeKey(reply[i] as Buffer)
      findings.problem('index', `exp: key ${name} is not in keys${reply[i + 1] === 1 ? ' (its record exists, but lists skip it)' : ', and has no record'}`)
    }
  } while (cursor !== '0')
  return members
}

async function checkKeySpace(connection: Connection, keys: NamespaceKeys, findings: Findings): Promise<{records: number; staged: {key: Buffer; importId: string}[]}> {
  const known = new Set([keys.meta.toString('latin1'), keys.keys.toString('latin1'), keys.exp.toString('latin1')])
  const stage = Buffer.from(`${keys.tag}:stage:`)
  // The history's keys (scripts.ts): a key's past, the entries it replaced, the change log.
  const history = ['h:', 'v:', 'log:'].map((part) => Buffer.from(`${keys.tag}:${part}`))
  let records = 0
  const staged: {key: Buffer; importId: string}[] = []
  let others = 0
  for await (const batch of connection.scan(keys.meta, Buffer.concat([globEscape(Buffer.from(`${keys.tag}:`)), Buffer.from('*')]), CHUNK)) {
    const recordKeys = batch.filter((key) => startsWith(key, keys.rprefix))
    records += recordKeys.length
    for (const key of batch) if (startsWith(key, stage)) staged.push({key, importId: key.subarray(stage.length).toString().split(':')[0]})
    others += batch.filter(
      (key) => !startsWith(key, keys.rprefix) && !startsWith(key, stage) && !history.some((part) => startsWith(key, part)) && !known.has(key.toString('latin1')),
    ).length
    if (recordKeys.length === 0) continue
    const orphans = (await connection.script(CHECK_RECORDS, [keys.keys], [keys.rprefix, ...recordKeys])) as Buffer[]
    for (const member of orphans) findings.problem('index', `key ${describeKey(member)} has a record but is not in keys (lists and exports skip it)`)
  }
  if (others > 0) findings.note(`${others} key${others === 1 ? '' : 's'} under the namespace's hash tag that kv does not use`)
  return {records, staged}
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix)
}

/** A literal for SCAN's MATCH: Redis's glob characters escaped. */
function globEscape(text: Buffer): Buffer {
  return Buffer.from(text.toString('latin1').replace(/[*?[\]\\]/g, '\\$&'), 'latin1')
}
