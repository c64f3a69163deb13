// One app process of the session tests: serves session-app.mjs on 127.0.0.1 and prints {"port": N}.
//   node session-server.mjs ADAPTER LOCATION MAX_AGE_MS
// ADAPTER is the URL of the built express-session adapter (dist/), LOCATION the JSON of openNamespace's
// location options. Sessions live in the namespace "sessions".
const [adapter, location, maxAge] = process.argv.slice(2)
const {KvSessionStore} = await import(adapter)
const {sessionApp} = await import('../session-app.mjs')

const store = new KvSessionStore({namespace: 'sessions', ...JSON.parse(location)})
const server = sessionApp(store, {maxAge: Number(maxAge)}).listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({port: server.address().port})}\n`)
})
