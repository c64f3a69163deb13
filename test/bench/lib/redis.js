// A private redis-server for the bench modules that compare with Redis: 127.0.0.1 on a free port and a unix
// socket in its own temp dir, persistence off, stopped by pid (and killed by an exit hook should a module
// throw). Node built-ins only; the Redis rows of the bench need redis-server and redis-cli on the PATH.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const HOST = '127.0.0.1'
export const REDIS_MISSING = 'redis-server not installed (apt-get install redis-server)'

export function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'}).status === 0
}

export function redisInstalled() {
  return commandExists('redis-server') && commandExists('redis-cli')
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

const running = new Set()
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
})

/**
 * Starts a redis-server; `config` adds `--name value` pairs. Returns where it listens, `cli(...args)` (runs
 * redis-cli against it, returns trimmed stdout) and `stop()`.
 */
export async function startRedis(config = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-redis-'))
  const socket = join(dir, 'redis.sock')
  const port = await freePort()
  const args = ['--bind', HOST, '--port', String(port), '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir]
  for (const [name, value] of Object.entries(config)) args.push(`--${name}`, String(value))
  const server = spawn('redis-server', args, {stdio: 'ignore'})
  running.add(server.pid)
  const cli = (...cliArgs) => {
    const run = spawnSync('redis-cli', ['-h', HOST, '-p', String(port), ...cliArgs], {encoding: 'utf8', maxBuffer: 1 << 30})
    if (run.status !== 0) throw new Error(`redis-cli ${cliArgs.join(' ')} failed: ${run.stderr}`)
    return run.stdout.trim()
  }
  const stop = async () => {
    if (!running.delete(server.pid)) return
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGKILL')
    await exited
    rmSync(dir, {recursive: true, force: true})
  }
  for (let i = 0; i < 200; i++) {
    if (existsSync(socket) && spawnSync('redis-cli', ['-s', socket, 'ping'], {encoding: 'utf8'}).stdout.trim() === 'PONG') {
      return {host: HOST, port, socket, url: `redis://${HOST}:${port}`, pid: server.pid, dir, cli, stop}
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await stop()
  throw new Error('redis-server did not start')
}

/** A row for a Redis target when redis-server is missing. */
export function notMeasured(target, goal) {
  return {target, kv: 'not measured', reference: REDIS_MISSING, ratio: null, goal, met: null}
}
