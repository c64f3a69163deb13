// The floor for any LMDB-backed CLI in Node (the bench's second start-up reference): load lmdb-js, open an
// environment, read one key, print it. `node lmdb-floor.cjs DIR` reads the key `floor` that `--init` wrote there.
const {open} = require('lmdb')

const [dir, init] = process.argv.slice(2)
const env = open({path: dir, noSubdir: false, pageSize: 4096, maxDbs: 4})
const db = env.openDB({name: 'values', keyEncoding: 'binary', encoding: 'binary'})
if (init === '--init') {
  db.putSync(Buffer.from('floor'), Buffer.from('value'))
} else {
  process.stdout.write(db.get(Buffer.from('floor')))
}
// As kv does: exit without closing (see src/cli/main.ts).
process.exit()
