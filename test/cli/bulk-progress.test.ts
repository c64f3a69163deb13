import {execFileSync, spawn} from 'node:child_process'
import {createWriteStream, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import {childEnv, KV_BIN, kvSandbox, tempDir} from '../helpers.js'

/** Runs `kv …` under `script`, so its stdin, stdout and stderr are a terminal; returns what the terminal showed. */
function onTerminal(kvArgs: string, env: NodeJS.ProcessEnv): Promise<{code: number | null; screen: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `"${process.execPath}" "${KV_BIN}" ${kvArgs}`, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let screen = ''
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, screen}))
  })
}

const records = (from: number, to: number) =>
  Array.from({length: to - from}, (_, i) => `${JSON.stringify({key: `k${from + i}`, value: 'v'})}\n`).join('')

// `script` (util-linux's, in Debian's essential bsdutils package) gives kv a terminal; without it these fail.
describe('kv import on a terminal', () => {
  it('shows a progress bar on stderr once an import has run for more than a second', async () => {
    const {env} = kvSandbox()
    const fifo = join(tempDir(), 'records')
    execFileSync('mkfifo', [fifo])
    const run = onTerminal(`import "${fifo}"`, childEnv(env))
    // A slow producer: the import is still reading after a second. Opening the FIFO waits for kv to open it.
    const writer = createWriteStream(fifo)
    await new Promise((resolve) => writer.once('open', resolve))
    writer.write(records(0, 1000))
    await delay(1300)
    writer.write(records(1000, 2000))
    await delay(200)
    writer.end(records(2000, 3000))
    const {code, screen} = await run
    expect(code).toBe(0)
    expect(screen).toMatch(/importing \| \d+ records/)
    expect(screen).toContain('kv: imported 3000 records into default')
  })

  it('a quick import shows no bar, only the summary', async () => {
    const {kv, env} = kvSandbox()
    const file = join(tempDir(), 'few.ndjson')
    writeFileSync(file, records(0, 10))
    const {code, screen} = await onTerminal(`import "${file}"`, childEnv(env))
    expect(code).toBe(0)
    expect(screen.trim()).toBe('kv: imported 10 records into default at revision 1')
    expect((await kv(['list'])).text.split('\n').filter(Boolean)).toHaveLength(10)
  })

  it('`kv import -` with a terminal on stdin is a usage error, not a wait', async () => {
    const {env} = kvSandbox()
    const {code, screen} = await onTerminal('import -', childEnv(env))
    expect(code).toBe(2)
    expect(screen.trim()).toMatch(/^kv: no records on stdin: pipe it in, or give a file instead of -$/)
  })
})
