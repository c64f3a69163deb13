// Starts a Redis server, prints {pid, port, dir} on one line, and then either waits to be killed (`wait`) or
// exits without stopping the server once its stdin closes (`exit`): no server may outlive this process.
import {startRedis} from '../servers.js'

const server = await startRedis()
process.stdout.write(`${JSON.stringify({pid: server.pid, port: server.port, dir: server.dir})}\n`)
setInterval(() => {}, 1 << 30)
if (process.argv[2] === 'exit') {
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}
