/**
 * The Lua scripts behind every change kv makes on Redis: each runs atomically on the server (Redis runs
 * one script at a time), which is what makes a write, a precondition and the indexes one step.
 *
 * Layout of a namespace (store/redis/layout.ts), all under one hash tag so that a Cluster keeps it in one
 * slot and these multi-key scripts are legal there:
 *   <p>{<id>}:meta   HASH   name, format, created; `committing` while an import is being committed (it expires
 *                           only while the namespace is being created: see backend.ts)
 *   <p>{<id>}:keys   ZSET   every stored key, score 0: ZRANGE BYLEX lists them in byte order
 *   <p>{<id>}:exp    ZSET   keys that expire, scored by expiry time (ms): reclaiming reads only what expired
 *   <p>{<id>}:r:<key>  STRING  the key's record (store/record.ts: header, metadata, value)
 *
 * Record keys of other entries (reclaimed or deleted by range) are built from `rprefix` inside a script:
 * they share the namespace's hash tag, so they are in the slot of the declared keys, as BullMQ's scripts do
 * on Cluster. Nothing touches keys outside the namespace's tag.
 *
 * A script that finds the namespace's meta gone (the namespace was deleted under an open handle) fails with
 * an error starting with KVGONE. Scripts never do more than about 1,000 keys' work: callers chunk.
 */

/** Shared by the scripts below (Lua 5.1, as Redis embeds it). */
const COMMON = `
local function gone() return redis.error_reply('KVGONE the namespace was deleted') end
local function islive(keys, exp, rkey, member, now)
  if redis.call('EXISTS', rkey) == 0 then return false end
  local at = redis.call('ZSCORE', exp, member)
  return (not at) or tonumber(at) > now
end
local function unstore(keys, exp, rkey, member)
  redis.call('UNLINK', rkey)
  redis.call('ZREM', keys, member)
  redis.call('ZREM', exp, member)
end
local function store(keys, exp, rkey, member, record, expires)
  redis.call('SET', rkey, record)
  redis.call('ZADD', keys, 0, member)
  if expires == '' then redis.call('ZREM', exp, member) else redis.call('ZADD', exp, expires, member) end
end
local function reclaim(keys, exp, rprefix, now, max)
  if max <= 0 then return 0 end
  local due = redis.call('ZRANGE', exp, '-inf', now, 'BYSCORE', 'LIMIT', 0, max)
  for _, member in ipairs(due) do unstore(keys, exp, rprefix .. member, member) end
  return #due
end
`

/**
 * KEYS: meta, keys, exp, then the record key of each op.
 * ARGV: now, reclaim max, rprefix, then per op: type (p put, d delete, c check), precondition ('' none,
 * a absent, v version), version (8 bytes), record, expiry ms ('' none).
 * Returns {1, {wasLive...}} (1 live, 0 not, -1 for a put: not looked at) or {0, index of the failed
 * precondition (1-based)}.
 */
export const WRITE = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
local now = tonumber(ARGV[1])
local rprefix = ARGV[3]
local n = #KEYS - 3
for i = 1, n do
  local a = 3 + (i - 1) * 5
  local cond = ARGV[a + 2]
  if cond ~= '' then
    local rkey = KEYS[3 + i]
    local live = islive(KEYS[2], KEYS[3], rkey, string.sub(rkey, #rprefix + 1), now)
    local holds
    if cond == 'a' then holds = not live
    else holds = live and redis.call('GETRANGE', rkey, 1, 8) == ARGV[a + 3] end
    if not holds then return {0, i} end
  end
end
local was = {}
for i = 1, n do
  local a = 3 + (i - 1) * 5
  local rkey = KEYS[3 + i]
  local member = string.sub(rkey, #rprefix + 1)
  local op = ARGV[a + 1]
  -- A put does not say what it replaced (-1: the contract lets a store leave wasLive undefined for puts).
  if op == 'p' then
    was[i] = -1
    store(KEYS[2], KEYS[3], rkey, member, ARGV[a + 4], ARGV[a + 5])
  else
    was[i] = islive(KEYS[2], KEYS[3], rkey, member, now) and 1 or 0
    if op == 'd' then unstore(KEYS[2], KEYS[3], rkey, member) end
  end
end
reclaim(KEYS[2], KEYS[3], rprefix, now, tonumber(ARGV[2]))
return {1, was}
`

/**
 * KEYS: keys. ARGV: min, max (ZRANGE BYLEX bounds), limit, rprefix, head bytes.
 * Returns {key, head of its record, key, head, ...}: what a list needs, without the values.
 */
export const SCAN = `
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local last = tonumber(ARGV[5]) - 1
for _, member in ipairs(members) do
  out[#out + 1] = member
  out[#out + 1] = redis.call('GETRANGE', ARGV[4] .. member, 0, last)
end
return out
`

/**
 * KEYS: keys. ARGV: min, max, limit, rprefix, byte budget. Returns {key, record, ...}: whole entries, a page
 * at a time, stopping early once the records read pass the budget (values may be 25 MiB each).
 */
export const ENTRIES = `
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local bytes = 0
local budget = tonumber(ARGV[5])
for _, member in ipairs(members) do
  local record = redis.call('GET', ARGV[4] .. member)
  out[#out + 1] = member
  out[#out + 1] = record
  bytes = bytes + #record
  if bytes >= budget then break end
end
return out
`

/**
 * Deletes up to `limit` keys of a range. KEYS: meta, keys, exp. ARGV: min, max, limit, rprefix, now.
 * Returns {keys deleted, of which live}.
 */
export const DELETE_RANGE = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
local members = redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local now = tonumber(ARGV[5])
local live = 0
for _, member in ipairs(members) do
  local rkey = ARGV[4] .. member
  if islive(KEYS[2], KEYS[3], rkey, member, now) then live = live + 1 end
  unstore(KEYS[2], KEYS[3], rkey, member)
end
return {#members, live}
`

/** KEYS: meta, keys, exp. ARGV: now, max, rprefix. Returns how many expired keys went. */
export const RECLAIM = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
return reclaim(KEYS[2], KEYS[3], ARGV[3], tonumber(ARGV[1]), tonumber(ARGV[2]))
`

/**
 * Stages one chunk of an import: its list and its expiry in one step, so no chunk is ever left without a
 * TTL (a process killed between two separate commands would leave one for good). KEYS: the chunk.
 * ARGV: the TTL in ms, then the items. RPUSHes at most 999 items per call: Lua's unpack has a limit.
 */
export const STAGE = `
for i = 2, #ARGV, 999 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 998, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`

/**
 * Starts committing a staged import: marks it in the meta hash (so that any process opening the namespace
 * finishes it, should this one die) and makes its staged chunks permanent. KEYS: meta. ARGV: import id,
 * chunk count, stage prefix. Fails when a chunk has expired (an import staged for longer than the staging TTL).
 */
export const BEGIN_COMMIT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('KVGONE the namespace was deleted') end
local count = tonumber(ARGV[2])
for n = 0, count - 1 do
  if redis.call('PERSIST', ARGV[3] .. n) == 0 and redis.call('EXISTS', ARGV[3] .. n) == 0 then
    return redis.error_reply('KVSTAGE staged chunk ' .. n .. ' of ' .. count .. ' is gone (it expired before the import finished staging); nothing was imported')
  end
end
redis.call('HSET', KEYS[1], 'committing', ARGV[1] .. ':' .. ARGV[2])
return 1
`

/**
 * Applies one staged chunk (a list of key, record, expiry triples; an empty record is a delete), in order,
 * then drops it. A chunk whose list is gone was applied already; one whose predecessor still exists waits
 * for it (returns -1), so chunks apply in order even when two processes finish the same import.
 * KEYS: meta, keys, exp, the chunk, the previous chunk (or the chunk again for the first).
 * ARGV: rprefix, now. Returns deletes that removed a live entry, or -1.
 */
export const COMMIT_CHUNK = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if KEYS[5] ~= KEYS[4] and redis.call('EXISTS', KEYS[5]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[4], 0, -1)
local now = tonumber(ARGV[2])
local deleted = 0
local n = #items
local i = 1
while i <= n do
  if items[i + 1] == '' then
    local member = items[i]
    local rkey = ARGV[1] .. member
    if islive(KEYS[2], KEYS[3], rkey, member, now) then deleted = deleted + 1 end
    unstore(KEYS[2], KEYS[3], rkey, member)
    i = i + 3
  else
    -- A run of puts (up to the next delete) in a few commands instead of three per key: each key written
    -- once, as its last put in the run, which is what applying them one by one would leave.
    local j = i
    while j <= n and items[j + 1] ~= '' do j = j + 3 end
    local seen, records, members, expiring, lasting = {}, {}, {}, {}, {}
    for p = j - 3, i, -3 do
      local member = items[p]
      if not seen[member] then
        seen[member] = true
        records[#records + 1] = ARGV[1] .. member
        records[#records + 1] = items[p + 1]
        members[#members + 1] = 0
        members[#members + 1] = member
        if items[p + 2] == '' then
          lasting[#lasting + 1] = member
        else
          expiring[#expiring + 1] = items[p + 2]
          expiring[#expiring + 1] = member
        end
      end
    end
    redis.call('MSET', unpack(records))
    redis.call('ZADD', KEYS[2], unpack(members))
    if #expiring > 0 then redis.call('ZADD', KEYS[3], unpack(expiring)) end
    if #lasting > 0 then redis.call('ZREM', KEYS[3], unpack(lasting)) end
    i = j
  end
end
redis.call('UNLINK', KEYS[4])
return deleted
`

/** Ends a commit once every chunk is applied. KEYS: meta. ARGV: the `committing` value it set. */
export const END_COMMIT = `
if redis.call('HGET', KEYS[1], 'committing') == ARGV[1] then redis.call('HDEL', KEYS[1], 'committing') end
return 1
`

/**
 * Creates a namespace's registry entry if the name is free. KEYS: registry. ARGV: name, id. Returns 1, or 0
 * when the name is taken.
 */
export const REGISTER = `
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
`

/**
 * Writes a new namespace's meta hash, expiring (so that it never outlives a create that fails before the name is
 * registered to it), unless it is complete already (no TTL). KEYS: meta. ARGV: name, format, created, TTL in ms.
 * Returns 1 when it wrote, 0 when the meta was complete.
 */
export const CREATE_META = `
if redis.call('PTTL', KEYS[1]) == -1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'format', ARGV[2], 'created', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`

/**
 * Removes a name from the registry and queues its data to be freed, in one step: the namespace is gone for
 * every later open and list. KEYS: registry, trash. ARGV: name, id. Returns 0 when it was not registered (any more).
 */
export const UNREGISTER = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`

/**
 * Frees up to `limit` keys of a deleted namespace. KEYS: keys, exp. ARGV: rprefix, limit. Returns how many
 * keys it freed (fewer than `limit`: the namespace is empty, and its indexes are gone too).
 */
export const FREE = `
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #members > 0 then
  -- Three commands, not two per key: the records in one UNLINK, then the same first members of the index.
  local records = {}
  for i, member in ipairs(members) do records[i] = ARGV[1] .. member end
  redis.call('UNLINK', unpack(records))
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #members - 1)
end
if #members < tonumber(ARGV[2]) then redis.call('UNLINK', KEYS[1], KEYS[2]) end
return #members
`
