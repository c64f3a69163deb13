// A writer for the crash-safety test, run as its own process and SIGKILLed at random moments.
//   node writer.mjs DIST_INDEX DATA_DIR batch KEYS FIRST_ROUND   -- rewrites KEYS keys per transaction, round after round
//   node writer.mjs DIST_INDEX DATA_DIR puts FIRST_INDEX         -- one put after another, p000000, p000001, ...
// It prints "begin N" before a transaction and "done N" once it has resolved (is committed and synced).
const [dist, dataDir, mode, ...rest] = process.argv.slice(2)
const {openNamespace} = await import(dist)
const ns = await openNamespace('crash', {dataDir, create: true})
const say = (line) => process.stdout.write(`${line}\n`)

function batchValue(round, i) {
  return `round ${round} key ${i} ${'#'.repeat(i % 50)}`
}

if (mode === 'batch') {
  const keys = Number(rest[0])
  for (let round = Number(rest[1]); ; round++) {
    say(`begin ${round}`)
    // One all-or-nothing write fed in chunks with a turn of the event loop between them, as an import
    // streaming its input is: the transaction stays open while the chunks come.
    await ns.putAll(
      (async function* () {
        for (let start = 0; start < keys; start += 2000) {
          yield Array.from({length: Math.min(2000, keys - start)}, (_, j) => ({key: `b${String(start + j).padStart(6, '0')}`, value: batchValue(round, start + j)}))
          await new Promise((resolve) => setImmediate(resolve))
        }
      })(),
    )
    say(`done ${round}`)
  }
} else {
  for (let i = Number(rest[0]); ; i++) {
    say(`begin ${i}`)
    await ns.put(`p${String(i).padStart(6, '0')}`, `put ${i} ${'*'.repeat(i % 70)}`)
    say(`done ${i}`)
  }
}
