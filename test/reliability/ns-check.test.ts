/**
 * `kv ns check` on local namespaces, through the real CLI on real LMDB files: a sound namespace passes and
 * is left byte for byte as it was; a page overwritten in the middle of data.mdb, index entries removed
 * behind kv's back, a truncated file and pages that make LMDB abort are each reported with exit 4 and one
 * line per problem, and kv itself never crashes; without a name every namespace is checked.
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {closeSync, cpSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {open as openLmdb} from 'lmdb'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {checkEveryNamespace, checkNamespace, openNamespace, type NamespaceCheck} from '../../src/index.js'
import {all, manualClock, runKv, tempDir, type KvResult} from '../helpers.js'

const PAGE = 4096
const KEYS = 3000
const EXPIRED = 10
const keyName = (i: number) => `key:${String(i).padStart(5, '0')}`
let template: string

/**
 * Namespaces "victim" and "bystander": 3000 keys each written in one transaction (so the middle of the file is
 * B-tree pages, not free ones), a third of them expiring tomorrow, some with metadata; plus 10 keys that
 * expired an hour ago.
 */
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'kv-check-template-'))
  for (const name of ['victim', 'bystander']) {
    const ns = await openNamespace(name, {dataDir: template, create: true})
    await ns.batch((batch) => {
      for (let i = 0; i < KEYS; i++) {
        batch.put(keyName(i), `${name}:${'v'.repeat(100)}:${i}`, {expiresIn: i % 3 === 0 ? 86_400 : undefined, metadata: i % 7 === 0 ? {i} : undefined})
      }
    })
    await ns.close()
    const past = await openNamespace(name, {dataDir: template, clock: manualClock(Date.now() - 3_600_000)})
    for (let i = 0; i < EXPIRED; i++) await past.put(`gone:${i}`, 'x', {expiresIn: 60})
    await past.close()
  }
})
afterAll(() => rmSync(template, {recursive: true, force: true}))

/** A fresh copy of the template data dir, with `damage` done to the victim's directory. */
function dataDirWith(damage: (victim: string) => void = () => {}): string {
  const dataDir = join(tempDir('kv-check-'), 'data')
  cpSync(template, dataDir, {recursive: true})
  damage(join(dataDir, 'namespaces', 'victim'))
  return dataDir
}

function kv(args: string[], dataDir: string): Promise<KvResult> {
  return runKv(args, {dataDir, configDir: join(dataDir, '..', 'config')})
}

/** The problem lines of stderr (`kv: namespace "x": ...`), without the prefix. */
function problemLines(result: KvResult, name = 'victim'): string[] {
  const prefix = `kv: namespace "${name}": `
  return result.stderr.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length))
}

/** Exit 4, not a crash: kv ended normally, said "damaged" on stdout and listed the problems on stderr. */
function expectDamaged(result: KvResult, name = 'victim'): string[] {
  expect({code: result.code, signal: result.signal}, result.stderr).toEqual({code: 4, signal: null})
  expect(result.text.split('\n')).toContain(`${name}\tdamaged`)
  expect(result.stderr).not.toMatch(/^\s*at /m)
  const lines = problemLines(result, name)
  expect(lines.length).toBeGreaterThan(0)
  return lines
}

function overwrite(path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, position)
  } finally {
    closeSync(fd)
  }
}

/**
 * A leaf page in the middle of data.mdb, found by its header alone (page number and leaf flag), away from the
 * meta pages and the file's first and last pages: in a namespace written in one transaction, those are B-tree
 * pages in use (the tests then check that the page walk names exactly this page).
 */
function middleLeafPage(path: string): number {
  const fd = openSync(path, 'r')
  const header = Buffer.alloc(24)
  const leaves: number[] = []
  try {
    const pages = statSync(path).size / PAGE
    for (let pgno = 10; pgno < pages - 10; pgno++) {
      readSync(fd, header, 0, 24, pgno * PAGE)
      if (header.readBigUInt64LE(0) === BigInt(pgno) && header.readUInt16LE(18) === 0x02) leaves.push(pgno)
    }
  } finally {
    closeSync(fd)
  }
  expect(leaves.length).toBeGreaterThan(20)
  return leaves[Math.floor(leaves.length / 2)]
}

/** Runs `edit` on the victim's databases with raw lmdb-js, as a program that bypasses kv would. */
async function behindKvsBack(victim: string, edit: (dbs: {expiries: Db; expiryIndex: Db; records: Db}) => void): Promise<void> {
  const env = openLmdb({path: victim, noSubdir: false, pageSize: PAGE, maxDbs: 8, overlappingSync: false})
  const db = (name: string) => env.openDB({name, keyEncoding: 'binary', encoding: 'binary'}) as Db
  env.transactionSync(() => edit({expiries: db('expiries'), expiryIndex: db('expiry-index'), records: db('records')}))
  await env.close()
}
type Db = ReturnType<ReturnType<typeof openLmdb>['openDB']>

/** The expiry-index key of `key` (8 bytes of big-endian time, then the key). */
function indexEntryOf(key: string, expiries: Db): Buffer {
  const time = expiries.getBinary(Buffer.from(key))!
  return Buffer.concat([Buffer.from(time), Buffer.from(key)])
}

describe('kv ns check: a sound namespace', () => {
  it('exits 0, says ok, reports keys, expired keys, depth and pages that add up, and changes nothing', async () => {
    const dataDir = dataDirWith()
    const file = join(dataDir, 'namespaces', 'victim', 'data.mdb')
    const before = readFileSync(file)
    const result = await kv(['ns', 'check', 'victim'], dataDir)
    expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({code: 0, stdout: 'victim\tok\n', stderr: ''})
    const json = await kv(['ns', 'check', 'victim', '--json'], dataDir)
    expect(json.code).toBe(0)
    const report = JSON.parse(json.text) as NamespaceCheck
    expect(report).toMatchObject({name: 'victim', ok: true, keys: KEYS, expiring: KEYS / 3, expired: EXPIRED, problems: [], problemCount: 0, notes: []})
    if (report.details?.store !== 'lmdb') throw new Error('expected LMDB details')
    const {pages, databases, fileBytes, pageSize} = report.details
    expect(pageSize).toBe(PAGE)
    expect(fileBytes).toBe(statSync(file).size)
    expect(pages.file).toBe(fileBytes / PAGE)
    expect(pages.inUse + pages.free + pages.unused + pages.leaked).toBe(pages.file)
    expect(pages.leaked).toBe(0)
    const records = databases.find((db) => db.name === 'records')!
    expect(records).toMatchObject({entries: KEYS + EXPIRED, depth: 2})
    expect(databases.map((db) => db.name)).toEqual(['(free pages)', '(main)', 'expiries', 'expiry-index', 'kv-meta', 'log', 'records', 'versions'])
    // Read-only: not a byte of the data file changed, and kv still works on the namespace.
    expect(readFileSync(file).equals(before)).toBe(true)
    expect((await kv(['get', keyName(42), '-n', 'victim'], dataDir)).text).toBe(`victim:${'v'.repeat(100)}:42`)
  })

  it('sees values on overflow pages, rewritten in place, deleted and expired, a namespace upgraded from format 1', async () => {
    const dataDir = tempDir()
    const ns = await openNamespace('churn', {dataDir, create: true})
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({length: 200}, (_, i) => {
          const key = `k:${(i * 7 + round * 13) % 300}`
          if (i % 5 === 0) return ns.delete(key)
          return ns.put(key, new Uint8Array((i * 997 * (round + 1)) % 40_000), i % 2 ? {expiresIn: 1 + i} : undefined)
        }),
      )
    }
    await ns.put('huge', new Uint8Array(3 * 1024 * 1024))
    await ns.deletePrefix('k:1')
    await ns.close()
    cpSync(join(import.meta.dirname, '..', 'fixtures', 'v0.1.0', 'data', 'namespaces', 'legacy'), join(dataDir, 'namespaces', 'legacy'), {recursive: true})
    const legacy = await checkNamespace('legacy', {dataDir})
    expect(legacy).toMatchObject({ok: true, notes: [expect.stringMatching(/format 1 .*only its pages were checked/)]})
    await (await openNamespace('legacy', {dataDir})).close()
    const checks = await all(checkEveryNamespace({dataDir}))
    expect(checks.map(({name, ok, problems, notes}) => ({name, ok, problems, notes}))).toEqual([
      {name: 'churn', ok: true, problems: [], notes: []},
      {name: 'legacy', ok: true, problems: [], notes: []},
    ])
  })
})

describe('kv ns check: damage', () => {
  it('a B-tree page in the middle of data.mdb overwritten with garbage: exit 4, the page named first, no crash', async () => {
    let damagedPage = 0
    const dataDir = dataDirWith((victim) => {
      damagedPage = middleLeafPage(join(victim, 'data.mdb'))
      overwrite(join(victim, 'data.mdb'), damagedPage * PAGE, randomBytes(PAGE))
    })
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines[0]).toMatch(new RegExp(`^page ${damagedPage} \\(records, leaf at depth 2 of 2\\): its header names page \\d+ \\(overwritten or misplaced\\)$`))
    expect(lines.length).toBeLessThanOrEqual(6)
    const report = JSON.parse((await kv(['ns', 'check', 'victim', '--json'], dataDir)).text) as NamespaceCheck
    expect(report.ok).toBe(false)
    expect(report.problems[0]).toEqual({kind: 'page', message: lines[0]})
  })

  it('pages whose entries claim 2 GiB values make LMDB abort: the check process dies, kv reports the signal (exit 4)', async () => {
    let damagedPage = 0
    const dataDir = dataDirWith((victim) => {
      const file = join(victim, 'data.mdb')
      damagedPage = middleLeafPage(file)
      const page = readFileSync(file).subarray(damagedPage * PAGE, (damagedPage + 1) * PAGE)
      for (let i = 0; i < page.readUInt16LE(20) / 2; i++) page.writeUInt32LE(0x7fff_ff00, page.readUInt16LE(24 + 2 * i) + 24)
      overwrite(file, damagedPage * PAGE, page)
    })
    const result = await kv(['ns', 'check', 'victim'], dataDir)
    const lines = expectDamaged(result)
    expect(lines[0]).toBe(`page ${damagedPage} (records, leaf at depth 2 of 2): key 0's 2147483392-byte value runs past the page`)
    expect(lines).toContainEqual(expect.stringMatching(/^the check process was killed by SIG(SEGV|BUS|ABRT) while reading records and expiries: LMDB aborts on this namespace's pages, and kv would too$/))
  })

  it('an expiry-index entry removed behind kv\'s back: exit 4, "no expiry-index entry"', async () => {
    const dataDir = dataDirWith()
    await behindKvsBack(join(dataDir, 'namespaces', 'victim'), ({expiries, expiryIndex}) => expiryIndex.removeSync(indexEntryOf(keyName(3), expiries)))
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^key "${keyName(3)}" expires at \\S+Z but has no expiry-index entry$`))])
  })

  it('an expiries entry removed, an index entry with another time, an index entry without its key', async () => {
    const dataDir = dataDirWith()
    await behindKvsBack(join(dataDir, 'namespaces', 'victim'), ({expiries, expiryIndex}) => {
      expiries.removeSync(Buffer.from(keyName(6)))
      const moved = indexEntryOf(keyName(9), expiries)
      moved.writeUInt32BE(moved.readUInt32BE(4) + 1, 4)
      expiryIndex.putSync(moved, Buffer.alloc(0))
      expiryIndex.putSync(Buffer.concat([moved.subarray(0, 8), Buffer.from('no-such-key')]), Buffer.alloc(0))
    })
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    // Records come first (in key order), then the index (in time order).
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^key "${keyName(6)}" expires at \\S+ but has no expiries entry$`)),
      expect.stringMatching(new RegExp(`^expiry-index: key "${keyName(6)}" at \\S+: the key has no expiries entry$`)),
      expect.stringMatching(new RegExp(`^expiry-index: key "${keyName(9)}" at \\S+: the key expires at \\S+$`)),
      expect.stringMatching(/^expiry-index: key "no-such-key" at \S+: the key has no record$/),
    ])
  })

  it('more than five problems: five lines, then how many more; --json lists them all and says so on stderr in one line', async () => {
    const dataDir = dataDirWith()
    await behindKvsBack(join(dataDir, 'namespaces', 'victim'), ({expiries, expiryIndex}) => {
      for (let i = 0; i < 8 * 3; i += 3) expiryIndex.removeSync(indexEntryOf(keyName(i), expiries))
    })
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines).toHaveLength(6)
    expect(lines[5]).toBe('… and 3 more problems')
    const json = await kv(['ns', 'check', 'victim', '--json'], dataDir)
    expect(json.code).toBe(4)
    const report = JSON.parse(json.text) as NamespaceCheck
    expect(report.problemCount).toBe(8)
    expect(report.problems.map((problem) => problem.kind)).toEqual(Array(8).fill('index'))
    expect(JSON.parse(json.stderr)).toEqual({error: {code: 'STORAGE_FAILURE', message: 'namespace "victim" is damaged (8 problems)'}})
  })

  it('index entries for a key that never expires (what a put that forgot to clear them leaves): exit 4, named', async () => {
    const dataDir = dataDirWith()
    await behindKvsBack(join(dataDir, 'namespaces', 'victim'), ({expiries, expiryIndex}) => {
      // key 1 never expires; give it key 3's expiry time in both indexes.
      const time = expiries.getBinary(Buffer.from(keyName(3)))!
      expiries.putSync(Buffer.from(keyName(1)), Buffer.from(time))
      expiryIndex.putSync(Buffer.concat([Buffer.from(time), Buffer.from(keyName(1))]), Buffer.alloc(0))
    })
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^key "${keyName(1)}" never expires, but expiries says it expires at \\S+Z$`))])
  })

  it('more than 100 problems: the report keeps the first 100 and counts them all', async () => {
    const dataDir = dataDirWith()
    await behindKvsBack(join(dataDir, 'namespaces', 'victim'), ({expiries, expiryIndex}) => {
      for (let i = 0; i < 150 * 3; i += 3) expiryIndex.removeSync(indexEntryOf(keyName(i), expiries))
    })
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines.at(-1)).toBe('… and 145 more problems')
    const report = JSON.parse((await kv(['ns', 'check', 'victim', '--json'], dataDir)).text) as NamespaceCheck
    expect({count: report.problemCount, kept: report.problems.length}).toEqual({count: 150, kept: 100})
    expect(report.problems.at(-1)!.message).toMatch(new RegExp(`^key "${keyName(99 * 3)}" expires at \\S+Z but has no expiry-index entry$`))
  })

  it('entries LMDB cannot reach on a damaged page: fewer read than the records database says it holds', async () => {
    let damagedPage = 0
    const dataDir = dataDirWith((victim) => {
      const file = join(victim, 'data.mdb')
      damagedPage = middleLeafPage(file)
      const header = Buffer.alloc(24)
      const fd = openSync(file, 'r+')
      try {
        readSync(fd, header, 0, 24, damagedPage * PAGE)
        // The header names another page, and its node table is two entries short (LMDB reads the page anyway).
        header.writeBigUInt64LE(BigInt(damagedPage + 1), 0)
        header.writeUInt16LE(header.readUInt16LE(20) - 4, 20)
        writeSync(fd, header, 0, 24, damagedPage * PAGE)
      } finally {
        closeSync(fd)
      }
    })
    const report = JSON.parse((await kv(['ns', 'check', 'victim', '--json'], dataDir)).text) as NamespaceCheck
    expect(report.problems[0]).toEqual({kind: 'page', message: expect.stringMatching(new RegExp(`^page ${damagedPage} \\(records, leaf at depth 2 of 2\\): its header names page ${damagedPage + 1}`))})
    expect(report.problems).toContainEqual({kind: 'count', message: `records: LMDB read ${KEYS + EXPIRED - 2} entries, its record says ${KEYS + EXPIRED}`})
  })

  it('a damaged second meta page (LMDB would pick it if its transaction id were the greater): exit 4, named', async () => {
    const dataDir = dataDirWith((victim) => overwrite(join(victim, 'data.mdb'), PAGE + 18, Buffer.from([0x40, 0])))
    const lines = expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))
    expect(lines[0]).toBe('meta page 1 is damaged: it is not marked as a meta page (flags 0x40)')
  })

  it('a truncated data file: exit 4, one line from the meta-page check', async () => {
    const dataDir = dataDirWith((victim) => truncateSync(join(victim, 'data.mdb'), 2 * PAGE))
    expect(expectDamaged(await kv(['ns', 'check', 'victim'], dataDir))).toEqual([expect.stringMatching(/^data\.mdb is truncated/)])
  })
})

describe('kv ns check without a name', () => {
  it('checks every namespace: the damaged one fails the run (exit 4), the others are still checked and ok', async () => {
    const dataDir = dataDirWith((victim) => {
      const file = join(victim, 'data.mdb')
      overwrite(file, middleLeafPage(file) * PAGE, randomBytes(PAGE))
    })
    cpSync(join(dataDir, 'namespaces', 'bystander'), join(dataDir, 'namespaces', 'zeta'), {recursive: true})
    const result = await kv(['ns', 'check'], dataDir)
    expect(result.code).toBe(4)
    expect(result.text).toBe('bystander\tok\nvictim\tdamaged\nzeta\tok\n')
    expect(problemLines(result, 'bystander')).toEqual([])
    expect(problemLines(result, 'zeta')).toEqual([])
    expect(problemLines(result, 'victim')[0]).toMatch(/^page \d+ \(records, leaf/)
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('kv: 1 of 3 namespaces are damaged: victim')
    const json = JSON.parse((await kv(['ns', 'check', '--json'], dataDir)).text) as NamespaceCheck[]
    expect(json.map(({name, ok}) => ({name, ok}))).toEqual([
      {name: 'bystander', ok: true},
      {name: 'victim', ok: false},
      {name: 'zeta', ok: true},
    ])
  })

  it('a namespace that makes LMDB abort kills only its check: the namespaces after it are still checked', async () => {
    const dataDir = dataDirWith((victim) => {
      const file = join(victim, 'data.mdb')
      const pgno = middleLeafPage(file)
      const page = readFileSync(file).subarray(pgno * PAGE, (pgno + 1) * PAGE)
      for (let i = 0; i < page.readUInt16LE(20) / 2; i++) page.writeUInt32LE(0x7fff_ff00, page.readUInt16LE(24 + 2 * i) + 24)
      overwrite(file, pgno * PAGE, page)
    })
    for (const name of ['x1', 'x2']) cpSync(join(dataDir, 'namespaces', 'bystander'), join(dataDir, 'namespaces', name), {recursive: true})
    const result = await kv(['ns', 'check'], dataDir)
    expect(result.code).toBe(4)
    expect(result.text).toBe('bystander\tok\nvictim\tdamaged\nx1\tok\nx2\tok\n')
    expect(problemLines(result, 'victim')).toContainEqual(expect.stringMatching(/^the check process was killed by SIG(SEGV|BUS|ABRT) while reading records and expiries/))
  })

  it('checks many namespaces in one process: 16 tiny ones take far less than 16 checks of one', async () => {
    const dataDir = join(tempDir('kv-many-'), 'data')
    for (let i = 0; i < 16; i++) {
      const ns = await openNamespace(`tiny-${String(i).padStart(2, '0')}`, {dataDir, create: true})
      await ns.put('k', 'v')
      await ns.close()
    }
    const timed = async (args: string[]) => {
      const started = performance.now()
      const result = await kv(args, dataDir)
      expect(result.code, result.stderr).toBe(0)
      return performance.now() - started
    }
    // Fastest of three, interleaved: the machine's noise only ever adds.
    let all = Infinity
    let one = Infinity
    for (let round = 0; round < 3; round++) {
      all = Math.min(all, await timed(['ns', 'check']))
      one = Math.min(one, await timed(['ns', 'check', 'tiny-00']))
    }
    // One child per namespace took about 16 times a child's start (a check of one is a CLI start and one child).
    expect(all).toBeLessThan(4 * one)
  })

  it('an empty data dir: nothing to check, exit 0; a missing namespace by name: exit 1', async () => {
    const dataDir = tempDir()
    expect(await kv(['ns', 'check'], dataDir)).toMatchObject({code: 0, text: '', stderr: ''})
    expect(await kv(['ns', 'check', '--json'], dataDir)).toMatchObject({code: 0, text: '[]\n'})
    const missing = await kv(['ns', 'check', 'nope'], dataDir)
    expect({code: missing.code, stderr: missing.stderr}).toEqual({code: 1, stderr: `kv: namespace "nope" does not exist in local (${dataDir}) (create it with: kv ns create nope)\n`})
  })
})

describe('kv ns check while another process writes', () => {
  it('a namespace under constant writes is sound in every check (no page reused under the walk is taken for damage)', async () => {
    const dataDir = dataDirWith()
    const writer = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import {openNamespace} from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}
         const ns = await openNamespace('victim', {dataDir: ${JSON.stringify(dataDir)}})
         console.log('writing')
         for (let i = 0; ; i++) {
           const key = 'w:' + (i % 500)
           if (i % 4 === 3) await ns.delete(key)
           else await ns.put(key, 'x'.repeat(i % 9000), i % 2 ? {expiresIn: 1 + (i % 50)} : undefined)
         }`,
      ],
      {stdio: ['ignore', 'pipe', 'inherit']},
    )
    try {
      await new Promise((resolve) => writer.stdout.once('data', resolve))
      for (let run = 0; run < 4; run++) {
        const report = await checkNamespace('victim', {dataDir})
        expect({ok: report.ok, problems: report.problems}).toEqual({ok: true, problems: []})
      }
    } finally {
      writer.kill('SIGKILL')
    }
  })
})
