/**
 * The Lua scripts behind every change kv makes on Redis: each runs atomically on the server (Redis runs
 * one script at a time), which is what makes a write, a precondition, the indexes and the history one step.
 *
 * Layout of a namespace (store/redis/layout.ts), all under one hash tag so that a Cluster keeps it in one
 * slot and these multi-key scripts are legal there:
 *   <p>{<id>}:meta          HASH    name, format, created; rev (the current revision), oldest (the oldest
 *                                   revision whose state can be read), oldestAt (when it committed), cleaned
 *                                   (revisions up to it have had their history removed), retention
 *                                   (store/retention.ts); `committing:<id>` and `header:<id>` while an
 *                                   import is being committed (import.ts); it expires only while the
 *                                   namespace is being created (backend.ts)
 *   <p>{<id>}:keys          ZSET    every stored key, score 0: ZRANGE BYLEX lists them in byte order
 *   <p>{<id>}:exp           ZSET    keys that expire, scored by expiry time (ms): reclaiming reads only what expired
 *   <p>{<id>}:r:<key>       STRING  the key's record (store/record.ts: header with its revision, metadata, value)
 *   <p>{<id>}:h:<key>       ZSET    the key's past, scored by revision: member "<rev>" an entry it had (kept
 *                                   once a later change replaced it), "d<rev>" a delete
 *   <p>{<id>}:v:<rev>:<key> STRING  the record the key had from revision <rev> (moved here by RENAME: no copy)
 *   <p>{<id>}:log:<rev>     STRING  revision <rev>'s change log record (store/change-log.ts)
 *
 * The history follows the rules of store/lmdb/revisions.ts, which says why each one holds. Keys other than
 * the declared ones are built from `tp` (the tag and a colon) inside a script: they share the namespace's
 * hash tag, so they are in the slot of the declared keys, as BullMQ's scripts do on Cluster. Nothing touches
 * keys outside the namespace's tag.
 *
 * A script that finds the namespace's meta gone (the namespace was deleted under an open handle) fails with
 * an error starting with KVGONE. Scripts never do more than about 1,000 keys' work: callers chunk.
 */

/** Shared by the scripts below (Lua 5.1, as Redis embeds it, with its struct and bit libraries). */
const COMMON = `
local function gone() return redis.error_reply('KVGONE the namespace was deleted') end
local function int(n) return string.format('%.0f', n) end
local function u64(n) return struct.pack('>I4I4', math.floor(n / 4294967296), n % 4294967296) end
local function u64at(s, at) local hi, lo = struct.unpack('>I4I4', s, at) return hi * 4294967296 + lo end
-- A record's revision, from its first 9 bytes (flag bit 2: it has one; records of format 2 do not: 0).
local function revof(head)
  if #head < 9 or bit.band(string.byte(head, 1), 4) == 0 then return 0 end
  return u64at(head, 2)
end
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

-- The history state (H) and the revision being written (R).
local H = {}
local R = nil
local function hretention(text)
  H.keep = text ~= 'off'
  if H.keep then
    local age, count = string.match(text, '^(%d+),(%d+)$')
    H.maxAge = tonumber(age)
    H.maxRevs = tonumber(count)
  end
end
local function hload(meta, tp)
  local v = redis.call('HMGET', meta, 'rev', 'oldest', 'oldestAt', 'cleaned', 'retention')
  H.tp = tp
  H.rev = tonumber(v[1])
  H.oldest = tonumber(v[2])
  H.oldestAt = tonumber(v[3])
  H.cleaned = tonumber(v[4])
  hretention(v[5])
  H.dirty = false
end
local function hsave(meta)
  if H.dirty then redis.call('HSET', meta, 'rev', int(H.rev), 'oldest', int(H.oldest), 'oldestAt', int(H.oldestAt), 'cleaned', int(H.cleaned)) end
end
local function hkey(member) return H.tp .. 'h:' .. member end
local function vkey(rev, member) return H.tp .. 'v:' .. int(rev) .. ':' .. member end
local function lkey(rev) return H.tp .. 'log:' .. int(rev) end

local function rbegin(header) R = {n = H.rev + 1, header = header, keys = {}, changed = false, tombs = false} end
local function rlog(member) R.keys[#R.keys + 1] = struct.pack('>I2', #member) .. member end
-- Ends the revision: its number, or 0 when it changed nothing.
local function rend()
  local r = R
  R = nil
  if not r.changed then return 0 end
  if H.keep then redis.call('SET', lkey(r.n), r.header .. table.concat(r.keys)) end
  if (not H.keep) and H.cleaned == H.rev then H.cleaned = r.n end
  H.rev = r.n
  if not H.keep then H.oldest = r.n end
  H.dirty = true
  return r.n
end

-- Removes what a key had before revision r (entries and deletes).
local function dropbefore(member, r)
  local h = hkey(member)
  local old = redis.call('ZRANGE', h, '-inf', '(' .. int(r), 'BYSCORE')
  if #old == 0 then return end
  for _, m in ipairs(old) do
    if string.sub(m, 1, 1) ~= 'd' then redis.call('UNLINK', vkey(tonumber(m), member)) end
  end
  redis.call('ZREMRANGEBYSCORE', h, '-inf', '(' .. int(r))
end
-- Keeps the record at rkey as the key's entry from its revision p (moved, not copied).
local function keep(rkey, member, p)
  redis.call('RENAME', rkey, vkey(p, member))
  redis.call('ZADD', hkey(member), p, int(p))
end

-- A put within revision R: record is the encoded record (its revision is stamped here), expires '' or ms.
local function hput(keys, exp, rkey, member, record, expires)
  local logged = false
  if H.keep then
    local head = redis.call('GETRANGE', rkey, 0, 8)
    if head ~= '' then
      local p = revof(head)
      if p == R.n then logged = true else keep(rkey, member, p) end
    elseif R.tombs and redis.call('ZSCORE', hkey(member), 'd' .. int(R.n)) then
      logged = true
      redis.call('ZREM', hkey(member), 'd' .. int(R.n))
    end
  end
  -- Stamped in place for a big value (no copy of it in Lua), joined for a small one (one command).
  if #record > 4096 then
    redis.call('SET', rkey, record)
    redis.call('SETRANGE', rkey, 1, u64(R.n))
  else
    redis.call('SET', rkey, string.sub(record, 1, 1) .. u64(R.n) .. string.sub(record, 10))
  end
  redis.call('ZADD', keys, 0, member)
  if expires == '' then redis.call('ZREM', exp, member) else redis.call('ZADD', exp, expires, member) end
  R.changed = true
  if H.keep and not logged then rlog(member) end
end

-- A delete within revision R; returns whether a live entry was there.
local function hdel(keys, exp, rkey, member, now)
  local head = redis.call('GETRANGE', rkey, 0, 8)
  if head == '' then return false end
  local live = islive(keys, exp, rkey, member, now)
  local p = revof(head)
  if H.keep then
    -- An expired key is no change: its record stays for the revisions it was live in, until reclaimed.
    if not live then return false end
    local logged = false
    if p == R.n then
      logged = true
      redis.call('UNLINK', rkey)
    else
      keep(rkey, member, p)
    end
    redis.call('ZADD', hkey(member), R.n, 'd' .. int(R.n))
    redis.call('ZREM', keys, member)
    redis.call('ZREM', exp, member)
    R.tombs = true
    R.changed = true
    if not logged then rlog(member) end
    return true
  end
  dropbefore(member, p)
  unstore(keys, exp, rkey, member)
  if live then R.changed = true end
  return live
end

-- Removes up to max expired keys: while history is kept, only those expired by the oldest revision kept.
local function reclaim(keys, exp, now, max)
  if max <= 0 then return 0 end
  local horizon = now
  if H.oldest < H.rev and H.oldestAt < now then horizon = H.oldestAt end
  local due = redis.call('ZRANGE', exp, '-inf', horizon, 'BYSCORE', 'LIMIT', 0, max)
  local n = 0
  for _, member in ipairs(due) do
    local rkey = H.tp .. 'r:' .. member
    local p = revof(redis.call('GETRANGE', rkey, 0, 8))
    if p <= H.oldest then
      dropbefore(member, p)
      unstore(keys, exp, rkey, member)
      n = n + 1
    end
  end
  return n
end

-- The keys a change log record lists, after its header.
local function logkeys(rec)
  local pos = 11 + string.byte(rec, 10)
  pos = pos + 2 + struct.unpack('>I2', rec, pos) + 8
  local out = {}
  while pos <= #rec do
    local len = struct.unpack('>I2', rec, pos)
    out[#out + 1] = string.sub(rec, pos + 2, pos + 1 + len)
    pos = pos + 2 + len
  end
  return out
end
local function logat(r) return u64at(redis.call('GETRANGE', lkey(r), 1, 8), 1) end
local function beyond(r, now)
  if H.maxRevs > 0 and H.rev - r + 1 > H.maxRevs then return true end
  return H.maxAge > 0 and logat(r) <= now - H.maxAge
end
-- Advances the oldest revision kept as the retention says, then removes what the revisions up to it left
-- (about budget keys' worth: whole revisions).
local function compact(now, budget)
  if not H.keep then
    if H.oldest ~= H.rev then
      H.oldest = H.rev
      H.oldestAt = now
      H.dirty = true
    end
  else
    while budget > 0 and H.oldest < H.rev and beyond(H.oldest + 1, now) do
      H.oldestAt = logat(H.oldest + 1)
      H.oldest = H.oldest + 1
      budget = budget - 1
      H.dirty = true
    end
  end
  while budget > 0 and H.cleaned < H.oldest do
    local r = H.cleaned + 1
    local rec = redis.call('GET', lkey(r))
    H.cleaned = r
    H.dirty = true
    if rec then
      local members = logkeys(rec)
      for _, member in ipairs(members) do
        dropbefore(member, r)
        redis.call('ZREM', hkey(member), 'd' .. int(r))
      end
      redis.call('UNLINK', lkey(r))
      budget = budget - math.max(1, #members)
    else
      budget = budget - 1
    end
  end
end
`

/**
 * KEYS: meta, keys, exp, then the record key of each op.
 * ARGV: now, reclaim max, tp, compaction budget, then per op: type (p put, d delete, c check), precondition
 * ('' none, a absent, v version), version (8 bytes), record, expiry ms ('' none), header: the change log
 * header of a revision that starts at this op ('' continues the revision of the op before).
 * Returns {1, {wasLive...}, {revision of each revision begun (0: changed nothing)...}} (wasLive 1 live, 0 not,
 * -1 for a put: not looked at) or {0, index of the failed precondition (1-based)}.
 */
export const WRITE = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
local now = tonumber(ARGV[1])
local tp = ARGV[3]
local rprefix = tp .. 'r:'
local n = #KEYS - 3
for i = 1, n do
  local a = 4 + (i - 1) * 6
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
hload(KEYS[1], tp)
local was = {}
local revs = {}
for i = 1, n do
  local a = 4 + (i - 1) * 6
  local rkey = KEYS[3 + i]
  local member = string.sub(rkey, #rprefix + 1)
  local op = ARGV[a + 1]
  if ARGV[a + 6] ~= '' then
    if R then revs[#revs + 1] = rend() end
    rbegin(ARGV[a + 6])
  end
  -- A put does not say what it replaced (-1: the contract lets a store leave wasLive undefined for puts).
  if op == 'p' then
    was[i] = -1
    hput(KEYS[2], KEYS[3], rkey, member, ARGV[a + 4], ARGV[a + 5])
  elseif op == 'd' then
    was[i] = hdel(KEYS[2], KEYS[3], rkey, member, now) and 1 or 0
  else
    was[i] = islive(KEYS[2], KEYS[3], rkey, member, now) and 1 or 0
  end
end
if R then revs[#revs + 1] = rend() end
compact(now, tonumber(ARGV[4]))
reclaim(KEYS[2], KEYS[3], now, tonumber(ARGV[2]))
hsave(KEYS[1])
return {1, was, revs}
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
 * Deletes the live keys among up to `limit` keys of a range, as one revision. KEYS: meta, keys, exp.
 * ARGV: min, max, limit, tp, now, header, compaction budget. Returns {keys looked at, of which live (deleted),
 * the revision (0: none), the last key looked at}: an expired key kept for the history stays in the range, so
 * the next chunk starts after the last key.
 */
export const DELETE_RANGE = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
local members = redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local now = tonumber(ARGV[5])
hload(KEYS[1], ARGV[4])
rbegin(ARGV[6])
local live = 0
for _, member in ipairs(members) do
  if hdel(KEYS[2], KEYS[3], H.tp .. 'r:' .. member, member, now) then live = live + 1 end
end
local rev = rend()
compact(now, tonumber(ARGV[7]))
hsave(KEYS[1])
return {#members, live, rev, members[#members] or ''}
`

/** KEYS: meta, keys, exp. ARGV: now, max, tp, compaction budget. Returns how many expired keys went. */
export const RECLAIM = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
hload(KEYS[1], ARGV[3])
compact(tonumber(ARGV[1]), tonumber(ARGV[4]))
local n = reclaim(KEYS[2], KEYS[3], tonumber(ARGV[1]), tonumber(ARGV[2]))
hsave(KEYS[1])
return n
`

/**
 * Sets how much history the namespace keeps. KEYS: meta. ARGV: retention (store/retention.ts), now, tp,
 * compaction budget. Starting or stopping to keep history moves the oldest readable revision to the current one.
 */
export const SET_RETENTION = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
hload(KEYS[1], ARGV[3])
local wasKeeping = H.keep
redis.call('HSET', KEYS[1], 'retention', ARGV[1])
hretention(ARGV[1])
if wasKeeping ~= H.keep then
  H.oldest = H.rev
  H.oldestAt = tonumber(ARGV[2])
  H.dirty = true
end
compact(tonumber(ARGV[2]), tonumber(ARGV[4]))
hsave(KEYS[1])
return 1
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
 * finishes it, should this one die), `committing:<id>` its chunk count and `header:<id>` the change log header
 * its revisions get (each import its own fields: several may commit at once), and makes its staged chunks
 * permanent. KEYS: meta. ARGV: import id, chunk count, stage prefix, header. Fails when a chunk has expired
 * (an import staged for longer than the staging TTL).
 */
export const BEGIN_COMMIT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('KVGONE the namespace was deleted') end
local count = tonumber(ARGV[2])
for n = 0, count - 1 do
  if redis.call('PERSIST', ARGV[3] .. n) == 0 and redis.call('EXISTS', ARGV[3] .. n) == 0 then
    return redis.error_reply('KVSTAGE staged chunk ' .. n .. ' of ' .. count .. ' is gone (it expired before the import finished staging); nothing was imported')
  end
end
redis.call('HSET', KEYS[1], 'committing:' .. ARGV[1], ARGV[2], 'header:' .. ARGV[1], ARGV[4])
return 1
`

/**
 * Applies one staged chunk (a list of key, record, expiry triples; an empty record is a delete; an expiry
 * that starts with "a" is a put only of a missing or expired key, skipped otherwise), in order, as one
 * revision, then drops it. A chunk whose list is gone was applied already; one whose predecessor still
 * exists waits for it (returns -1), so chunks apply in order even when two processes finish the same import.
 * KEYS: meta, keys, exp, the chunk, the previous chunk (or the chunk again for the first).
 * ARGV: tp, now, compaction budget, import id, the header to use where the meta hash has none (an import that
 * a kv of storage format 2 began). Returns {deletes that removed a live entry, the revision (0: none), puts
 * skipped}, or {-1}.
 */
export const COMMIT_CHUNK = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
if redis.call('EXISTS', KEYS[4]) == 0 then return {0, 0} end
if KEYS[5] ~= KEYS[4] and redis.call('EXISTS', KEYS[5]) == 1 then return {-1} end
local items = redis.call('LRANGE', KEYS[4], 0, -1)
local now = tonumber(ARGV[2])
hload(KEYS[1], ARGV[1])
rbegin(redis.call('HGET', KEYS[1], 'header:' .. ARGV[4]) or ARGV[5])
local deleted = 0
local skipped = 0
for i = 1, #items, 3 do
  local member = items[i]
  local rkey = H.tp .. 'r:' .. member
  local expires = items[i + 2]
  if items[i + 1] == '' then
    if hdel(KEYS[2], KEYS[3], rkey, member, now) then deleted = deleted + 1 end
  elseif string.sub(expires, 1, 1) == 'a' and islive(KEYS[2], KEYS[3], rkey, member, now) then
    skipped = skipped + 1
  else
    if string.sub(expires, 1, 1) == 'a' then expires = string.sub(expires, 2) end
    hput(KEYS[2], KEYS[3], rkey, member, items[i + 1], expires)
  end
end
local rev = rend()
compact(now, tonumber(ARGV[3]))
hsave(KEYS[1])
redis.call('UNLINK', KEYS[4])
return {deleted, rev, skipped}
`

/**
 * Ends a commit once every chunk is applied. KEYS: meta. ARGV: import id; for an import a kv of format 2
 * began, also the value of its `committing` field.
 */
export const END_COMMIT = `
redis.call('HDEL', KEYS[1], 'committing:' .. ARGV[1], 'header:' .. ARGV[1])
if ARGV[2] and redis.call('HGET', KEYS[1], 'committing') == ARGV[2] then redis.call('HDEL', KEYS[1], 'committing') end
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
 * Upgrades a namespace's meta from storage format 2 (no revisions, no history): its records keep their
 * bytes and read as revision 0, and its history starts now. KEYS: meta. ARGV: retention, now.
 * Returns the format it is in now (a newer one is left alone, for the caller to refuse).
 */
export const UPGRADE = `
local format = tonumber(redis.call('HGET', KEYS[1], 'format'))
if format == 2 then
  redis.call('HSET', KEYS[1], 'format', '3', 'rev', '0', 'oldest', '0', 'oldestAt', ARGV[2], 'cleaned', '0', 'retention', ARGV[1])
  return 3
end
return format
`

/**
 * Writes a new namespace's meta hash, expiring (so that it never outlives a create that fails before the name is
 * registered to it), unless it is complete already (no TTL): revision 0 is the empty namespace, its history
 * starts when it is created. KEYS: meta. ARGV: name, format, created, TTL in ms, retention.
 * Returns 1 when it wrote, 0 when the meta was complete.
 */
export const CREATE_META = `
if redis.call('PTTL', KEYS[1]) == -1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'format', ARGV[2], 'created', ARGV[3], 'rev', '0', 'oldest', '0', 'oldestAt', ARGV[3], 'cleaned', '0', 'retention', ARGV[5])
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

/**
 * Frees the history of a deleted namespace, a few revisions at a time: every past entry and delete is
 * listed by a revision from `cleaned + 1` on (see COMMON's compact). KEYS: the renamed meta hash (only so
 * that a Cluster sends the script to the namespace's node). ARGV: tp, first revision, last revision.
 * Returns the number of keys freed.
 */
export const FREE_HISTORY = `${COMMON}
H.tp = ARGV[1]
local freed = 0
for r = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local rec = redis.call('GET', lkey(r))
  if rec then
    for _, member in ipairs(logkeys(rec)) do
      local h = hkey(member)
      for _, m in ipairs(redis.call('ZRANGE', h, 0, -1)) do
        if string.sub(m, 1, 1) ~= 'd' then redis.call('UNLINK', vkey(tonumber(m), member)) end
      end
      redis.call('UNLINK', h)
      freed = freed + 1
    end
    redis.call('UNLINK', lkey(r))
  end
end
return freed
`

/** Most bytes of a change log header: layout, time, operation (at most 255), actor (limits.ts: 256), revert target. */
export const MAX_LOG_HEADER_BYTES = 1 + 8 + 1 + 255 + 2 + 256 + 8

/**
 * One key's changes after the oldest revision kept and before `before`, newest first.
 * KEYS: meta. ARGV: tp, key, before ('' for none), limit, whether to read values ('1'), head bytes.
 * Returns {0, oldest} when `before` is not after the oldest revision kept; else {1, oldest, then per change:
 * revision, record or head ('' for a delete), the record's full length, the revision's log header}.
 */
export const KEY_CHANGES = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
H.tp = ARGV[1]
local oldest = tonumber(redis.call('HGET', KEYS[1], 'oldest'))
local before = ARGV[3] == '' and 9007199254740992 or tonumber(ARGV[3])
if before <= oldest then return {0, oldest} end
local member = ARGV[2]
local limit = tonumber(ARGV[4])
local values = ARGV[5] == '1'
local last = tonumber(ARGV[6]) - 1
local out = {1, oldest}
local function add(rev, rkey)
  out[#out + 1] = int(rev)
  if rkey == nil then
    out[#out + 1] = ''
    out[#out + 1] = 0
  else
    out[#out + 1] = values and redis.call('GET', rkey) or redis.call('GETRANGE', rkey, 0, last)
    out[#out + 1] = redis.call('STRLEN', rkey)
  end
  out[#out + 1] = redis.call('GETRANGE', lkey(rev), 0, ${MAX_LOG_HEADER_BYTES - 1})
end
local found = 0
local current = H.tp .. 'r:' .. member
local p = revof(redis.call('GETRANGE', current, 0, 8))
if redis.call('EXISTS', current) == 1 and p > oldest and p < before then
  add(p, current)
  found = 1
end
if found < limit then
  local past = redis.call('ZRANGE', hkey(member), '(' .. int(before), '(' .. int(oldest), 'BYSCORE', 'REV', 'LIMIT', 0, limit - found, 'WITHSCORES')
  for i = 1, #past, 2 do
    local rev = tonumber(past[i + 1])
    if string.sub(past[i], 1, 1) == 'd' then add(rev, nil) else add(rev, vkey(rev, member)) end
  end
end
return out
`

/**
 * The namespace's changes after the oldest revision kept, newest first, from (revision, index) down, of keys
 * that start with `prefix`; reads at most `scan` revisions. KEYS: meta. ARGV: tp, start revision ('' for
 * the current one), start index (changes at or past it in the start revision are skipped; '' for none),
 * limit, values ('1'), head bytes, prefix, scan. Returns {0, oldest} when the start is not after the oldest
 * revision kept; else {1, oldest, the next revision to read (0: none left), then per change: revision,
 * index, key, record or head ('' for a delete), full length, header}.
 */
export const LOG_CHANGES = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
H.tp = ARGV[1]
local state = redis.call('HMGET', KEYS[1], 'rev', 'oldest')
local oldest = tonumber(state[2])
local r = ARGV[2] == '' and tonumber(state[1]) or tonumber(ARGV[2])
if r <= oldest then return {0, oldest} end
local skipFrom = ARGV[3] == '' and nil or tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local values = ARGV[5] == '1'
local last = tonumber(ARGV[6]) - 1
local prefix = ARGV[7]
local scan = tonumber(ARGV[8])
local out = {1, oldest, 0}
local found = 0
while r > oldest and scan > 0 and found < limit do
  local rec = redis.call('GET', lkey(r))
  if rec then
    local members = logkeys(rec)
    local header = string.sub(rec, 1, 11 + string.byte(rec, 10) + 2 + struct.unpack('>I2', rec, 11 + string.byte(rec, 10)) + 8 - 1)
    local top = #members
    if skipFrom ~= nil then top = math.min(top, skipFrom) end
    for i = top, 1, -1 do
      local member = members[i]
      if string.sub(member, 1, #prefix) == prefix then
        local current = H.tp .. 'r:' .. member
        local rkey = nil
        if revof(redis.call('GETRANGE', current, 0, 8)) == r and redis.call('EXISTS', current) == 1 then
          rkey = current
        elseif not redis.call('ZSCORE', hkey(member), 'd' .. int(r)) then
          rkey = vkey(r, member)
        end
        out[#out + 1] = int(r)
        out[#out + 1] = i - 1
        out[#out + 1] = member
        if rkey == nil then
          out[#out + 1] = ''
          out[#out + 1] = 0
        else
          out[#out + 1] = values and redis.call('GET', rkey) or redis.call('GETRANGE', rkey, 0, last)
          out[#out + 1] = redis.call('STRLEN', rkey)
        end
        out[#out + 1] = header
        found = found + 1
        if found >= limit then
          out[3] = r
          return out
        end
      end
    end
  end
  skipFrom = nil
  r = r - 1
  scan = scan - 1
end
if r > oldest then out[3] = r end
return out
`

/**
 * Entries as they were right after revision `rev`. KEYS: meta. ARGV: tp, rev, then the keys.
 * Returns {0, oldest} when rev is older than the oldest revision kept; else {1, oldest, when rev committed,
 * then per key its record then or ''}.
 */
export const ENTRIES_AT = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
H.tp = ARGV[1]
local state = redis.call('HMGET', KEYS[1], 'oldest', 'oldestAt')
local oldest = tonumber(state[1])
local rev = tonumber(ARGV[2])
if rev < oldest then return {0, oldest} end
local at = rev == oldest and tonumber(state[2]) or logat(rev)
local out = {1, oldest, int(at)}
for i = 3, #ARGV do
  local member = ARGV[i]
  local current = H.tp .. 'r:' .. member
  local head = redis.call('GETRANGE', current, 0, 8)
  if head ~= '' and revof(head) <= rev then
    out[#out + 1] = redis.call('GET', current)
  else
    local past = redis.call('ZRANGE', hkey(member), int(rev), '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
    if #past == 0 or string.sub(past[1], 1, 1) == 'd' then
      out[#out + 1] = ''
    else
      out[#out + 1] = redis.call('GET', vkey(tonumber(past[2]), member))
    end
  end
end
return out
`

/**
 * Keys that start with `prefix` changed in revisions first..last (at most ~1,000 revisions a call).
 * KEYS: meta. ARGV: tp, first, last, prefix. Returns {0, oldest} when first - 1 is older than the oldest
 * revision kept; else {1, oldest, then every key listed (repeats possible)}.
 */
export const KEYS_CHANGED = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return gone() end
H.tp = ARGV[1]
local oldest = tonumber(redis.call('HGET', KEYS[1], 'oldest'))
if tonumber(ARGV[2]) - 1 < oldest then return {0, oldest} end
local prefix = ARGV[4]
local out = {1, oldest}
for r = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local rec = redis.call('GET', lkey(r))
  if rec then
    for _, member in ipairs(logkeys(rec)) do
      if string.sub(member, 1, #prefix) == prefix then out[#out + 1] = member end
    end
  end
end
return out
`
