// One process of the concurrency test. Values are self-describing: "key|payload|sha256(key|payload)", so a
// reader can tell a whole value from a torn or mixed one.
//   node worker.mjs DIST WHERE writer ID KEYS  -- puts KEYS keys w<ID>:<i> (some values span overflow pages)
//   node worker.mjs DIST WHERE incr TIMES      -- TIMES x incr('counter')
//   node worker.mjs DIST WHERE reader STOPFILE -- lists, gets and iterates until STOPFILE exists; prints counts
//   node worker.mjs DIST WHERE hold            -- opens a read snapshot, says "holding", waits to be killed
//   node worker.mjs DIST WHERE read KEY        -- reads KEY once, prints its value
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'

const [dist, where, role, ...rest] = process.argv.slice(2)
const {openNamespace} = await import(dist)
// WHERE is a data dir, or the JSON of openNamespace's location options (e.g. {"store": "redis://…"}).
const location = where.startsWith('{') ? JSON.parse(where) : {dataDir: where}
const ns = await openNamespace('shared', {...location, create: true})

const checksum = (text) => createHash('sha256').update(text).digest('hex')
const valueFor = (key, i) => {
  const payload = `${key}:`.repeat(1 + ((i * 7919) % 2000)) // up to ~20 KB: several pages
  return `${key}|${payload}|${checksum(`${key}|${payload}`)}`
}
/** Throws unless `value` is the whole value written under `key`. */
const check = (key, value) => {
  const [owner, payload, sum] = value.split('|')
  if (owner !== key || sum !== checksum(`${key}|${payload}`)) throw new Error(`torn value under ${key}: ${value.slice(0, 60)}…`)
}

if (role === 'writer') {
  const [id, keys] = rest.map(Number)
  for (let i = 0; i < keys; i++) await ns.put(`w${id}:${String(i).padStart(4, '0')}`, valueFor(`w${id}:${String(i).padStart(4, '0')}`, i))
  console.log(`wrote ${keys}`)
} else if (role === 'incr') {
  let last = 0
  for (let i = 0; i < Number(rest[0]); i++) last = await ns.incr('counter')
  console.log(`incremented to ${last}`)
} else if (role === 'reader') {
  const counts = {lists: 0, gets: 0, iterated: 0}
  // Until told to stop, and once more after: lmdb-js renews a process's read snapshot between event-loop
  // turns, so each pass yields first to see the latest commits.
  for (let last = false; ; last = existsSync(rest[0])) {
    await new Promise((resolve) => setImmediate(resolve))
    const keys = await ns.list({prefix: 'w', limit: 100_000})
    counts.lists++
    for (const key of keys.filter((_, i) => i % 17 === 0)) {
      const value = await ns.get(key)
      if (value === null) throw new Error(`listed key ${key} vanished`)
      check(key, value)
      counts.gets++
    }
    for await (const {name, value} of ns.entries({prefix: 'w'})) {
      check(name, Buffer.from(value).toString('utf8'))
      counts.iterated++
    }
    const counter = await ns.get('counter')
    if (counter !== null && !/^\d+$/.test(counter)) throw new Error(`torn counter ${counter}`)
    if (last) break
  }
  console.log(JSON.stringify(counts))
} else if (role === 'hold') {
  const snapshot = ns.entries()
  await snapshot.next()
  console.log('holding')
  await new Promise(() => setInterval(() => {}, 1000)) // keep the process and its snapshot alive until killed
} else if (role === 'read') {
  console.log(await ns.get(rest[0]))
}
await ns.close()
