import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, inject, it} from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const CHILD = join(import.meta.dirname, 'children', 'open-and-linger.ts')

interface Lingering {
  opened: boolean
  error?: string
  /** What keeps the child's event loop alive 20 ms after the open ended (its own stdio aside). */
  resources: string[]
  /** How long the child lived after saying so. */
  exitedAfterMs: number
}

/** Runs the child on `store` and waits for it to end by itself. */
function openAndLinger(store: string): Promise<Lingering> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, store], {cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', () => {
      const said = JSON.parse(out) as Omit<Lingering, 'exitedAfterMs'> & {at: number}
      resolve({opened: said.opened, error: said.error, resources: said.resources, exitedAfterMs: Date.now() - said.at})
    })
  })
}

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** A local port that was free a moment ago, or a server on one that accepts connections and never answers. */
async function listening(answer: boolean): Promise<{server: Server; port: number}> {
  const server = createServer((socket) => (answer ? undefined : socket.on('error', () => {})))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return {server, port: (server.address() as {port: number}).port}
}

describe('nothing of a Redis connection outlives a failed open or a close', () => {
  it('connection refused: no timer or socket is left, the process ends at once', async () => {
    const {server, port} = await listening(true)
    await new Promise((resolve) => server.close(resolve))
    const result = await openAndLinger(`redis://127.0.0.1:${port}`)
    expect(result.error).toMatch(/connection refused/)
    expect(result.resources).toEqual([])
    // ioredis's disconnect timer kept it 2 s more.
    expect(result.exitedAfterMs).toBeLessThan(1000)
  })

  it('a server that accepts but never answers: nothing is left after the connect timeout', async () => {
    const {port} = await listening(false)
    const result = await openAndLinger(`redis://127.0.0.1:${port}?connect_timeout=0.3`)
    expect(result.error).toMatch(/timed out/)
    expect(result.resources).toEqual([])
  })

  it('a namespace opened and closed leaves nothing either', async () => {
    const result = await openAndLinger(`${inject('redis').url}?prefix=linger-${process.pid}:`)
    expect(result).toMatchObject({opened: true, resources: []})
  })
})
