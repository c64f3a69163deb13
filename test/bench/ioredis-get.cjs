// The reference for `kv get` on Redis (targets/redis-startup.js): a plain Node script that loads ioredis,
// connects to the URL in argv[2], GETs the key in argv[3], prints the value and quits.
const {Redis} = require('ioredis')

const client = new Redis(process.argv[2])
client.get(process.argv[3]).then(async (value) => {
  process.stdout.write(value ?? '')
  await client.quit()
})
