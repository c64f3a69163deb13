// A writer for the history model test (test/reliability/history-model.test.ts), run as its own process and
// SIGKILLed at random moments:
//   node history-writer.mjs DIST_INDEX LOCATION_JSON WRITER_ID FIRST_SEQ SEED
// It makes random changes to the namespace "model" for ever, each with the actor "w<id>:<seq>" so that the
// history says which change was whose. It prints "begin SEQ" before a change and "done SEQ CHANGED WHAT" once it
// has resolved, with what it was (CHANGED: 1 when it changed something, 0 for a delete or revert that found nothing to do, 2
// for a batch, which may or may not have: its deletes may all have found nothing).
const [dist, locationJson, writer, firstSeq, seed] = process.argv.slice(2)
const {openNamespace} = await import(dist)
const location = JSON.parse(locationJson)
const ns = await openNamespace('model', location)
const say = (line) => process.stdout.write(`${line}\n`)

// A small PRNG (mulberry32), seeded per writer and start, so that a run can be replayed.
let state = Number(seed) >>> 0
function random() {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (items) => items[Math.floor(random() * items.length)]
const KEYS = ['a:0', 'a:1', 'a:2', 'a:3', 'b:0', 'b:1', 'b:2', 'b:3', 'c', 'counter']
const ttl = () => pick([undefined, undefined, undefined, 3600, 1, 2])

for (let seq = Number(firstSeq); ; seq++) {
  const actor = `w${writer}:${seq}`
  const value = `${actor} ${'#'.repeat(Math.floor(random() * 30))}`
  const kind = random()
  say(`begin ${seq}`)
  let changed = 1
  let what = 'put'
  if (kind < 0.35) {
    const expiresIn = ttl()
    await ns.put(pick(KEYS.slice(0, 9)), value, {actor, expiresIn, metadata: random() < 0.3 ? {seq} : undefined})
  } else if (kind < 0.5) {
    what = 'delete'
    const keys = Array.from({length: 1 + Math.floor(random() * 3)}, () => pick(KEYS))
    changed = (await ns.deleteMany(keys, {actor})) > 0 ? 1 : 0
  } else if (kind < 0.62) {
    what = 'import'
    const prefix = pick(['a:', 'b:'])
    const records = Array.from({length: 2 + Math.floor(random() * 4)}, (_, i) => ({key: `${prefix}${Math.floor(random() * 4)}`, value: `${value} #${i}`, options: {expiresIn: ttl()}}))
    await ns.putAll(
      (async function* () {
        yield records
      })(),
      {actor},
    )
  } else if (kind < 0.74) {
    changed = 2
    what = 'batch'
    await ns.batch(
      (batch) => {
        for (let i = 0; i < 2 + Math.floor(random() * 3); i++) {
          if (random() < 0.7) batch.put(pick(KEYS.slice(0, 9)), `${value} b${i}`, {expiresIn: ttl()})
          else batch.delete(pick(KEYS.slice(0, 9)))
        }
      },
      {actor},
    )
  } else if (kind < 0.84) {
    what = 'incr'
    await ns.incr('counter', {actor})
  } else {
    what = 'revert'
    const {revision, oldest} = await ns.historyState()
    const to = Math.max(oldest, revision - 1 - Math.floor(random() * 20))
    const result = await ns.revert({prefix: pick(['a:', 'b:', '']), to, actor})
    changed = result.revisions === null ? 0 : 1
  }
  say(`done ${seq} ${changed} ${what}`)
}
