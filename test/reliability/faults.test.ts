/**
 * Corruption and environment faults through the real CLI: a truncated or overwritten data file, a lock
 * file left by a killed process (or full of garbage), a read-only data dir, a full disk. Each fault gives
 * exit 4 and one line on stderr (or, for a stale lock, recovers), never a crash, hang or stack trace, and
 * the other namespace in the same data dir stays byte for byte as it was.
 */
import {spawn, spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {expectFailure, expectOutput, expectQuietSuccess, tree} from '../cli/cli-assert.js'
import {childEnv, KV_BIN, tempDir, type KvResult} from '../helpers.js'

const PAGE = 4096
/** A fault must never make kv hang: every child is killed after this long, and the test then fails. */
const HANG_MS = 30_000

/** Runs `kv` (optionally through `sh -c` with `shellPrefix`, e.g. a ulimit or setpriv) with a hang timeout. */
function kv(args: string[], dataDir: string, options: {shellPrefix?: string; input?: Buffer} = {}): Promise<KvResult> {
  const env = childEnv({KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dataDir, '..', 'no-config'), KV_TEST_NODE: process.execPath, KV_TEST_BIN: KV_BIN})
  const [command, argv] = options.shellPrefix
    ? ['sh', ['-c', `${options.shellPrefix} exec "$KV_TEST_NODE" "$KV_TEST_BIN" "$@"`, 'sh', ...args]]
    : [process.execPath, [KV_BIN, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, argv as string[], {env, stdio: ['pipe', 'pipe', 'pipe']})
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const out = Buffer.concat(stdout)
      resolve({code, signal, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), text: out.toString('utf8')})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

function fingerprint(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const path of tree(dir)) if (!path.endsWith('/')) files[path] = createHash('sha256').update(readFileSync(join(dir, path))).digest('hex')
  return files
}

const KEYS = 3000
const keyName = (i: number) => `key:${String(i).padStart(5, '0')}`
let template: string
let faultsTried = 0

/** A data dir with namespace "victim" (3000 keys over ~120 pages, a third of them expiring) and "bystander". */
beforeAll(async () => {
  // Not tempDir(): that one is removed after the first test.
  template = mkdtempSync(join(tmpdir(), 'kv-faults-template-'))
  for (const name of ['victim', 'bystander']) {
    const ns = await openNamespace(name, {dataDir: template, create: true})
    await ns.batch((batch) => {
      for (let i = 0; i < KEYS; i++) batch.put(keyName(i), `${name}:${'v'.repeat(100)}:${i}`, i % 3 === 0 ? {expiresIn: 86_400} : undefined)
    })
    await ns.close()
  }
})

/** A fresh copy of the template data dir with `damage` done to the victim's files. */
function damaged(damage: (victimDir: string) => void): {dataDir: string; bystander: Record<string, string>} {
  const dataDir = join(tempDir('kv-faults-'), 'data')
  cpSync(template, dataDir, {recursive: true})
  damage(join(dataDir, 'namespaces', 'victim'))
  return {dataDir, bystander: fingerprint(join(dataDir, 'namespaces', 'bystander'))}
}

/** Every command on the victim fails with exit 4 and one line; the bystander is unchanged and still reads. */
const EVERY_COMMAND = [['list', '--limit', '100000'], ['get', keyName(KEYS - 1)], ['put', 'new', 'value'], ['delete', keyName(0)]]
/** A read of every page and a write: enough for most cases, and half the processes (this file spawns many). */
const READ_AND_WRITE = [EVERY_COMMAND[0], EVERY_COMMAND[2]]

async function expectStorageFailure(dataDir: string, bystander: Record<string, string>, reason: RegExp, commands = READ_AND_WRITE) {
  for (const args of commands) {
    const result = await kv([...args, '-n', 'victim'], dataDir)
    const line = expectFailure(result, 4)
    expect(line).toMatch(/^kv: storage failure in namespace "victim": /)
    expect(line).toMatch(reason)
    faultsTried++
  }
  expect(fingerprint(join(dataDir, 'namespaces', 'bystander'))).toEqual(bystander)
  expectOutput(await kv(['get', keyName(KEYS - 1), '-n', 'bystander'], dataDir), `bystander:${'v'.repeat(100)}:${KEYS - 1}`)
}

function overwrite(path: string, position: number, bytes: Buffer) {
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, position)
  } finally {
    closeSync(fd)
  }
}

describe('a truncated data file: exit 4, one line, the other namespace untouched', () => {
  const cuts: [string, (size: number) => number][] = [
    ['to 0 bytes', () => 0],
    ['to 100 bytes', () => 100],
    ['to its first page', () => PAGE],
    ['to its two meta pages', () => 2 * PAGE],
    ['to half its pages', (size) => Math.floor(size / PAGE / 2) * PAGE],
    ['by its last page', (size) => size - PAGE],
    ['by one byte', (size) => size - 1],
  ]
  for (const [label, cut] of cuts) {
    it(label, async () => {
      const {dataDir, bystander} = damaged((dir) => truncateSync(join(dir, 'data.mdb'), cut(statSync(join(dir, 'data.mdb')).size)))
      const commands = label === 'to half its pages' ? EVERY_COMMAND : READ_AND_WRITE
      await expectStorageFailure(dataDir, bystander, /data\.mdb is (truncated|not an LMDB data file)/, commands)
    })
  }
})

describe('an overwritten data file: exit 4, one line, the other namespace untouched', () => {
  it('every byte replaced with random bytes', async () => {
    const {dataDir, bystander} = damaged((dir) => {
      const file = join(dir, 'data.mdb')
      writeFileSync(file, randomBytes(statSync(file).size))
    })
    await expectStorageFailure(dataDir, bystander, /not an LMDB data file/, EVERY_COMMAND)
  })

  it('both meta pages replaced with random bytes', async () => {
    const {dataDir, bystander} = damaged((dir) => overwrite(join(dir, 'data.mdb'), 0, randomBytes(2 * PAGE)))
    await expectStorageFailure(dataDir, bystander, /not an LMDB data file/)
  })

  it('replaced by a text file', async () => {
    const {dataDir, bystander} = damaged((dir) => writeFileSync(join(dir, 'data.mdb'), 'hello\n'.repeat(5000)))
    await expectStorageFailure(dataDir, bystander, /not an LMDB data file/)
  })
})

describe('a lock file from a dead process', () => {
  it('a writer SIGKILLed while holding the write lock and a read snapshot: the next commands recover', async () => {
    const {dataDir, bystander} = damaged(() => {})
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import {openNamespace} from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}
         const ns = await openNamespace('victim', {dataDir: ${JSON.stringify(dataDir)}})
         const snapshot = ns.entries(); await snapshot.next()
         ns.putAll((async function* () { yield [{key: 'half-written', value: 'x'}]; console.log('holding'); await new Promise(() => {}) })())`,
      ],
      {stdio: ['ignore', 'pipe', 'inherit']},
    )
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.once('exit', resolve))
    expectQuietSuccess(await kv(['put', 'after', 'recovered', '-n', 'victim'], dataDir))
    expectOutput(await kv(['get', 'after', '-n', 'victim'], dataDir), 'recovered')
    const listed = await kv(['list', '--limit', '100000', '-n', 'victim'], dataDir)
    expect(listed.code).toBe(0)
    expect(listed.text.split('\n').filter(Boolean)).toEqual(['after', ...Array.from({length: KEYS}, (_, i) => keyName(i))])
    expect(fingerprint(join(dataDir, 'namespaces', 'bystander'))).toEqual(bystander)
    faultsTried++
  })

  it('a lock file full of garbage is rebuilt (it holds no data)', async () => {
    const {dataDir} = damaged((dir) => writeFileSync(join(dir, 'lock.mdb'), randomBytes(8 * PAGE)))
    expectOutput(await kv(['get', keyName(7), '-n', 'victim'], dataDir), `victim:${'v'.repeat(100)}:7`)
    expectQuietSuccess(await kv(['put', 'after', 'ok', '-n', 'victim'], dataDir))
    faultsTried++
  })
})

/** Mounting needs CAP_SYS_ADMIN (root here and in CI); without it the tests fall back to other techniques. */
function tryMount(args: string[]): boolean {
  return spawnSync('mount', args, {stdio: 'ignore'}).status === 0
}
const mounted: string[] = []
// Registered after helpers' afterEach, so it runs first: unmount before the temp dirs are removed.
afterEach(() => {
  for (const dir of mounted.splice(0).reverse()) spawnSync('umount', ['-l', dir], {stdio: 'ignore'})
})
afterAll(() => rmSync(template, {recursive: true, force: true}))

describe('a read-only data dir', () => {
  it('writes and reads fail with exit 4 and one line; nothing changes', async () => {
    const {dataDir, bystander} = damaged(() => {})
    const before = fingerprint(dataDir)
    // A read-only bind mount of the data dir; without mount rights, an unprivileged user (who cannot write either).
    let shellPrefix: string | undefined
    if (tryMount(['--bind', dataDir, dataDir])) {
      mounted.push(dataDir)
      expect(tryMount(['-o', 'remount,bind,ro', dataDir]), 'remount read-only').toBe(true)
    } else shellPrefix = 'setpriv --reuid=65534 --regid=65534 --clear-groups'
    for (const args of [['put', 'k', 'v', '-n', 'victim'], ['get', keyName(1), '-n', 'victim'], ['put', 'k', 'v'], ['ns', 'create', 'another']]) {
      const line = expectFailure(await kv(args, dataDir, {shellPrefix}), 4)
      expect(line).toMatch(/^kv: storage failure in namespace "[a-z]+": .*(read-only|permission denied|EROFS|EACCES)/i)
      faultsTried++
    }
    expect(fingerprint(dataDir)).toEqual(before)
    expect(fingerprint(join(dataDir, 'namespaces', 'bystander'))).toEqual(bystander)
  })
})

describe('a full disk', () => {
  it('a write that does not fit fails with exit 4 and one line; what was stored stays readable', async () => {
    const root = tempDir('kv-full-')
    const dataDir = join(root, 'data')
    mkdirSync(dataDir)
    // A 2 MiB tmpfs; without mount rights, a 2 MiB file-size limit (writes past it fail with EFBIG).
    let shellPrefix: string | undefined
    if (tryMount(['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dataDir])) mounted.push(dataDir)
    else shellPrefix = `trap "" XFSZ; ulimit -f ${(2 * 1024 * 1024) / 512};`
    // Without history, so that a delete frees space at once (the history would keep the values it replaced).
    expect((await kv(['ns', 'create', 'victim', '--history', 'off'], dataDir, {shellPrefix})).code).toBe(0)
    expect((await kv(['ns', 'create', 'bystander'], dataDir, {shellPrefix})).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'first', 'kept', '-n', 'victim'], dataDir, {shellPrefix}))
    expectQuietSuccess(await kv(['put', 'other', 'kept too', '-n', 'bystander'], dataDir, {shellPrefix}))
    const bystander = fingerprint(join(dataDir, 'namespaces', 'bystander'))
    let failure: KvResult | undefined
    for (let i = 0; i < 10 && failure === undefined; i++) {
      const result = await kv(['put', `big:${i}`, '-n', 'victim'], dataDir, {shellPrefix, input: randomBytes(600 * 1024)})
      if (result.code !== 0) failure = result
    }
    expect(failure, 'some 600 KiB put must not fit in 2 MiB').toBeDefined()
    const line = expectFailure(failure!, 4)
    expect(line).toMatch(/^kv: storage failure in namespace "victim": .*(disk full|no space|too large)/i)
    faultsTried++
    expect(fingerprint(join(dataDir, 'namespaces', 'bystander'))).toEqual(bystander)
    expectOutput(await kv(['get', 'first', '-n', 'victim'], dataDir, {shellPrefix}), 'kept')
    expectOutput(await kv(['get', 'other', '-n', 'bystander'], dataDir, {shellPrefix}), 'kept too')
    // Space freed, writes work again.
    expectQuietSuccess(await kv(['delete', 'big:0', 'big:1', 'big:2', '-n', 'victim'], dataDir, {shellPrefix}))
    expectQuietSuccess(await kv(['put', 'small', 'fits', '-n', 'victim'], dataDir, {shellPrefix}))
  })

  /** An 8 MiB tmpfs, mounted for the test: the tests below need one (CI runs as root); without, they fail. */
  function smallTmpfs(): string {
    const dir = tempDir('kv-full-')
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', dir], {encoding: 'utf8'})
    if (mount.status !== 0) {
      throw new Error(`cannot mount a tmpfs for the full-disk tests (they need root, as in CI): ${(mount.stderr || mount.error?.message || '').trim()}`)
    }
    mounted.push(dir)
    return dir
  }

  /** Fills the file system of `dir` to the last byte, then frees `slack` bytes (on tmpfs, whole pages). */
  function fill(dir: string, slack: number): void {
    const path = join(dir, 'filler')
    const fd = openSync(path, 'a')
    try {
      for (const chunk of [1024 * 1024, PAGE, 1]) {
        const bytes = Buffer.alloc(chunk)
        for (;;) {
          try {
            if (writeSync(fd, bytes) < chunk) break
          } catch {
            break
          }
        }
      }
    } finally {
      closeSync(fd)
    }
    truncateSync(path, statSync(path).size - slack)
  }

  it('creating a namespace, or the first put into a data dir, on a full disk: exit 4, one line, nothing left behind', async () => {
    const disk = smallTmpfs()
    const dataDir = join(disk, 'data')
    expectQuietSuccess(await kv(['put', 'kept', 'before', '-n', 'default'], dataDir))
    const freshDataDir = join(disk, 'fresh')
    // No room at all, room for the lock file only, room for part of a data file: each once crashed LMDB
    // (SIGBUS on the lock file's mapping, SIGSEGV when the data file's first write failed).
    for (const slack of [0, 3 * PAGE, 4 * PAGE, 10 * PAGE]) {
      fill(disk, slack)
      for (const [args, dir] of [[['ns', 'create', 'imp'], dataDir], [['put', 'k', 'v'], freshDataDir]] as const) {
        const result = await kv([...args], dir)
        expect({slack, args, signal: result.signal}).toEqual({slack, args, signal: null})
        const line = expectFailure(result, 4)
        expect(line).toMatch(/^kv: storage failure in namespace "(imp|default)": .*(disk full|no space)/i)
        faultsTried++
      }
      expect(tree(join(dataDir, 'namespaces'))).toEqual(['default/', 'default/data.mdb', 'default/lock.mdb'])
      expect(tree(freshDataDir).filter((path) => path.startsWith('namespaces/.'))).toEqual([])
      rmSync(join(disk, 'filler'))
    }
    expectOutput(await kv(['get', 'kept'], dataDir), 'before')
    expect((await kv(['ns', 'create', 'imp'], dataDir)).code).toBe(0)
    expectQuietSuccess(await kv(['put', 'k', 'v'], freshDataDir))
  })
})

describe('what killed creates and deletes leave beside the namespaces', () => {
  /** A pid no process has: one that just exited (pids are not reused that soon). */
  function deadPid(): number {
    return spawnSync(process.execPath, ['-e', '0']).pid!
  }
  const name = (kind: string, pid: number, time: number, rest = 'x1y2z3') => `.${kind}-${pid.toString(36)}-${time.toString(36)}-${rest}`

  it('is swept by the next ns create or ns delete: a dead process\'s, a minute old; never a running one\'s', async () => {
    const dataDir = tempDir('kv-sweep-')
    expect((await kv(['ns', 'create', 'real'], dataDir)).code).toBe(0)
    const root = join(dataDir, 'namespaces')
    const old = Date.now() - 5 * 60_000
    const dead = deadPid()
    const leftovers = {
      staleCreate: name('creating', dead, old),
      staleDelete: name('deleting', dead, old),
      recent: name('creating', dead, Date.now() + 60_000),
      running: name('deleting', process.pid, old),
      olderKv: '.creating-AbC123',
      olderKvRecent: '.creating-DeF456',
    }
    for (const dir of Object.values(leftovers)) {
      mkdirSync(join(root, dir))
      writeFileSync(join(root, dir, 'lock.mdb'), 'x')
    }
    utimesSync(join(root, leftovers.olderKv), new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000))
    expect((await kv(['ns', 'create', 'other'], dataDir)).code).toBe(0)
    const kept = [leftovers.recent, leftovers.running, leftovers.olderKvRecent]
    expect(readdirSync(root).filter((entry) => entry.startsWith('.')).sort()).toEqual(kept.sort())
    expectOutput(await kv(['ns', 'list'], dataDir), 'other\nreal\n')

    mkdirSync(join(root, leftovers.staleDelete))
    expect((await kv(['ns', 'delete', 'other', '--yes'], dataDir)).code).toBe(0)
    expect(readdirSync(root).filter((entry) => entry.startsWith('.')).sort()).toEqual(kept.sort())
  })
})

describe('faults: figures', () => {
  it('reports how many faulty commands were tried', () => {
    console.log(`faults: ${faultsTried} commands against damaged storage, all exit 4 with one line (or recovered)`)
    expect(faultsTried).toBeGreaterThan(25)
  })
})
