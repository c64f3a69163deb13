import {describe, expect, it} from 'vitest'

import {openNamespace, type LocationOptions} from '../../src/index.js'
import {kvSandbox} from '../helpers.js'
import {TEST_STORE} from '../store-under-test.js'
import {expectQuietSuccess} from './cli-assert.js'
import {TmuxSession} from './tmux.js'

/** A sandbox with keys written through the engine (fast, and able to write already-expired keys). */
async function sandboxWith(keys: Record<string, {value?: string; expiresIn?: number; expiredAgo?: number}>, namespace = 'default', history?: false) {
  const sandbox = kvSandbox()
  const {env, location} = sandbox
  const ns = await openNamespace(namespace, {...location, create: true, history})
  await ns.batch((batch) => {
    for (const [key, {value = 'v', expiresIn}] of Object.entries(keys)) if (expiresIn !== -1) batch.put(key, value, {expiresIn})
  })
  await ns.close()
  for (const [key, {value = 'v', expiredAgo}] of Object.entries(keys)) {
    if (expiredAgo === undefined) continue
    // Written an hour in the past with a one-second TTL: expired now, still stored.
    const past = await openNamespace(namespace, {...location, clock: () => Date.now() - expiredAgo * 1000})
    await past.put(key, value, {expiresIn: 1})
    await past.close()
  }
  return {...sandbox, env, start: (args: string[]) => TmuxSession.start(args, env)}
}

async function keysIn(location: LocationOptions, namespace = 'default'): Promise<string[]> {
  const ns = await openNamespace(namespace, location)
  try {
    return await ns.list({limit: 100_000})
  } finally {
    await ns.close()
  }
}

async function statsOf(location: LocationOptions, namespace = 'default') {
  const ns = await openNamespace(namespace, location)
  try {
    return await ns.stats()
  } finally {
    await ns.close()
  }
}

const PREFIX_QUESTION = 'Delete keys starting with'

/** In kv ns clean: answers the prefix question with `prefix`, waits for `listed` in the list, chooses all (`a`). */
async function chooseAll(tty: TmuxSession, prefix: string, listed: string): Promise<void> {
  await tty.waitFor(PREFIX_QUESTION)
  tty.type(prefix)
  tty.keys('Enter')
  await tty.waitFor(listed)
  tty.keys('a', 'Enter')
}

describe('kv ns clean on a terminal', () => {
  it('prefix, checkbox with size and expiry, confirmation: deletes exactly the chosen keys', async () => {
    const {location, start} = await sandboxWith({
      'user:1': {value: 'x'.repeat(2048), expiresIn: 7200},
      'user:2': {},
      'user:3': {},
      'user:4': {},
      admin: {},
    })
    const tty = start(['ns', 'clean'])
    await tty.waitFor(PREFIX_QUESTION)
    tty.type('user:')
    tty.keys('Enter')
    const list = await tty.waitFor('user:4')
    expect(list).toMatch(/user:1\s+2\.0 KiB\s+expires in 2h/)
    expect(list).toMatch(/user:2\s+1 B\s+no expiry/)
    expect(list).toContain('i inverts')
    expect(list).not.toContain('admin')
    tty.keys('Space', 'Down', 'Down', 'Space', 'Enter')
    const asked = await tty.waitFor('Delete 2 keys from namespace "default"?')
    // The answer's line names the chosen keys once, without their rows' padding.
    expect(asked).toMatch(/Choose the keys starting with "user:" to delete[^\n]*user:1, user:3\n/)
    tty.type('y')
    tty.keys('Enter')
    const {code, screen} = await tty.exit()
    expect(screen).toContain('deleted 2 keys from namespace "default"')
    expect(code).toBe(0)
    expect(await keysIn(location)).toEqual(['admin', 'user:2', 'user:4'])
  })

  it('`a` toggles all shown keys; answering no deletes nothing', async () => {
    const {location, start} = await sandboxWith({'s:1': {}, 's:2': {}, 's:3': {}, t: {}})
    const tty = start(['ns', 'clean'])
    await chooseAll(tty, 's:', 's:3')
    await tty.waitFor('Delete 3 keys from namespace "default"?')
    tty.type('n')
    tty.keys('Enter')
    const {code, screen} = await tty.exit()
    expect(screen).toContain('nothing deleted')
    expect(code).toBe(0)
    expect(await keysIn(location)).toEqual(['s:1', 's:2', 's:3', 't'])

    const again = start(['ns', 'clean', 'default'])
    await again.waitFor(PREFIX_QUESTION)
    again.keys('Enter')
    await again.waitFor('Choose the keys to delete')
    again.keys('a', 'Enter')
    await again.waitFor('Delete 4 keys from namespace "default"?')
    again.type('y')
    again.keys('Enter')
    expect((await again.exit()).code).toBe(0)
    expect(await keysIn(location)).toEqual([])
  })

  it('with more matches than the list shows: narrow the prefix, or delete all N counted (not keys added since)', async () => {
    const many: Record<string, object> = {other: {}}
    for (let i = 0; i < 250; i++) many[`k:${String(i).padStart(3, '0')}`] = {}
    const {location, start, kv} = await sandboxWith(many)
    const tty = start(['ns', 'clean'])
    await tty.waitFor(PREFIX_QUESTION)
    tty.keys('Enter')
    await tty.waitFor('251 keys: more than the 200 a list can show')
    tty.keys('Enter') // Type a longer prefix
    await tty.waitFor(/Delete keys starting with[^\n]*\n(.|\n)*Delete keys starting with/)
    tty.type('k')
    tty.keys('Enter')
    await tty.waitFor('250 keys starting with "k": more than the 200')
    tty.keys('Enter') // Type a longer prefix: it starts from "k"
    await tty.waitFor(/(Delete keys starting with[^\n]*\n(.|\n)*){3}/)
    tty.type(':')
    tty.keys('Enter')
    await tty.waitFor('250 keys starting with "k:": more than the 200')
    tty.keys('Down', 'Down', 'Enter') // Delete all 250 matching keys
    await tty.waitFor('Delete 250 keys from namespace "default"?')
    // A key written after the count is not among the keys the user agreed to delete.
    expectQuietSuccess(await kv(['put', 'k:new', 'late']))
    tty.type('y')
    tty.keys('Enter')
    const {code, screen} = await tty.exit()
    expect(screen).toContain('deleted 250 keys')
    expect(code).toBe(0)
    expect(await keysIn(location)).toEqual(['k:new', 'other'])
  })

  it('offers to purge expired keys waiting on disk', async () => {
    // Without history: a namespace that keeps it keeps expired keys while a revision it keeps may need them.
    const {location, start} = await sandboxWith({live: {}, old1: {expiresIn: -1, expiredAgo: 3600}, old2: {expiresIn: -1, expiredAgo: 3600}}, 'default', false)
    expect((await statsOf(location)).expired).toBe(2)
    const tty = start(['ns', 'clean'])
    await tty.waitFor(PREFIX_QUESTION)
    tty.type('nomatch')
    tty.keys('Enter')
    await tty.waitFor('no live keys starting with "nomatch"')
    await tty.waitFor(`2 expired keys in namespace "default" still take ${TEST_STORE === 'lmdb' ? 'disk space' : 'memory'}. Purge them now?`)
    tty.keys('Enter') // default: yes
    const {code, screen} = await tty.exit()
    expect(screen).toContain('purged 2 expired keys')
    expect(code).toBe(0)
    expect(await statsOf(location)).toMatchObject({keys: 1, expired: 0})
    expect(await keysIn(location)).toEqual(['live'])
  })

  it('names a few of many chosen keys; one expired key "takes" space; keys gone meanwhile are counted apart', async () => {
    const many: Record<string, object> = {old: {expiresIn: -1, expiredAgo: 3600}}
    for (let i = 0; i < 51; i++) many[`k:${String(i).padStart(2, '0')}`] = {}
    // Without history, so that the expired key can be purged (the history would keep it).
    const {location, start} = await sandboxWith(many, 'default', false)
    const tty = start(['ns', 'clean'])
    await chooseAll(tty, 'k:', 'Choose the keys starting with "k:"')
    const asked = await tty.waitFor('Delete 51 keys from namespace "default"?')
    expect(asked).toContain('51 keys: k:00, k:01, k:02, k:03, k:04 and 46 more')
    expect(asked).not.toContain('k:50')
    // Another process deletes one of them before the answer.
    const other = await openNamespace('default', location)
    await other.delete('k:07')
    await other.close()
    tty.type('y')
    tty.keys('Enter')
    // Where it was deleted comes between (no undo: the namespace keeps no history).
    await tty.waitFor(/deleted 50 keys from namespace "default" at revision \d+ \(no history kept: it cannot be undone\); one of those chosen had expired or been deleted meanwhile/)
    await tty.waitFor(`1 expired key in namespace "default" still takes ${TEST_STORE === 'lmdb' ? 'disk space' : 'memory'}. Purge it now?`)
    tty.keys('Enter')
    expect((await tty.exit()).code).toBe(0)
    expect(await keysIn(location)).toEqual([])
  })

  it('Ctrl-C at the checkbox cancels with exit 130 and deletes nothing', async () => {
    const {location, start} = await sandboxWith({a: {}, b: {}})
    const tty = start(['ns', 'clean'])
    await tty.waitFor(PREFIX_QUESTION)
    tty.keys('Enter')
    await tty.waitFor('Choose the keys')
    tty.keys('a', 'C-c')
    const {code, screen} = await tty.exit()
    expect(screen).toContain('cancelled')
    expect(code).toBe(130)
    expect(await keysIn(location)).toEqual(['a', 'b'])
  })

  it('a missing namespace exits 1 before asking anything', async () => {
    const {start} = await sandboxWith({})
    const tty = start(['ns', 'clean', 'missing'])
    const {code, screen} = await tty.exit()
    expect(code).toBe(1)
    expect(screen).not.toContain(PREFIX_QUESTION)
  })
})

describe('kv delete --prefix on a terminal', () => {
  it('shows the count and a few keys, deletes on yes, keeps on no', async () => {
    const {location, start} = await sandboxWith({'c:1': {}, 'c:2': {}, 'c:3': {}, 'c:4': {}, 'c:5': {}, 'c:6': {}, d: {}})
    const no = start(['delete', '--prefix', 'c:'])
    const question = await no.waitFor('Delete 6 keys starting with "c:" from namespace "default"')
    expect(question).toContain('"c:1", "c:2", "c:3", "c:4", "c:5", …')
    no.type('n')
    no.keys('Enter')
    expect((await no.exit()).code).toBe(0)
    expect((await keysIn(location)).length).toBe(7)

    const yes = start(['delete', '--prefix', 'c:'])
    await yes.waitFor('Delete 6 keys')
    yes.type('y')
    yes.keys('Enter')
    const {code, screen} = await yes.exit()
    expect(screen).toContain('deleted 6 keys')
    expect(code).toBe(0)
    expect(await keysIn(location)).toEqual(['d'])
  })

  it('an empty prefix needs --yes even on a terminal', async () => {
    const {location, start} = await sandboxWith({a: {}, b: {}})
    const tty = start(['delete', '--prefix', ''])
    const {code, screen} = await tty.exit()
    expect(code).toBe(2)
    expect(screen).toContain('add --yes')
    expect(await keysIn(location)).toEqual(['a', 'b'])
  })
})

describe('kv ns delete on a terminal', () => {
  it('asks naming the key count; no keeps the namespace, yes deletes it', async () => {
    const {location, start} = await sandboxWith({a: {}, b: {}, c: {}}, 'scratch')
    const no = start(['ns', 'delete', 'scratch'])
    await no.waitFor('Delete namespace "scratch" and its 3 keys?')
    no.keys('Enter') // default: no
    const kept = await no.exit()
    expect(kept.code).toBe(0)
    expect(kept.screen).toContain('namespace "scratch" kept')
    expect(await keysIn(location, 'scratch')).toEqual(['a', 'b', 'c'])

    const yes = start(['ns', 'delete', 'scratch'])
    await yes.waitFor('its 3 keys?')
    yes.type('y')
    yes.keys('Enter')
    expect((await yes.exit()).code).toBe(0)
    await expect(openNamespace('scratch', location)).rejects.toMatchObject({code: 'NAMESPACE_NOT_FOUND'})
  })

  it('Ctrl-C at the question exits 130 and keeps the namespace', async () => {
    const {location, start} = await sandboxWith({a: {}}, 'scratch')
    const tty = start(['ns', 'delete', 'scratch'])
    await tty.waitFor('its 1 key?')
    tty.keys('C-c')
    expect((await tty.exit()).code).toBe(130)
    expect(await keysIn(location, 'scratch')).toEqual(['a'])
  })
})

describe('kv ns list on a terminal', () => {
  it('prints a table with counts, human sizes and a marker on the default namespace', async () => {
    const {start, kv} = await sandboxWith({a: {value: 'x'.repeat(300_000)}, b: {expiresIn: 3600}})
    expect((await kv(['ns', 'create', 'empty'])).code).toBe(0)
    const tty = start(['ns', 'list'])
    const {code, screen} = await tty.exit()
    expect(code).toBe(0)
    expect(screen).toMatch(/Namespace\s*│\s*Keys\s*│\s*Expiring\s*│\s*Size/)
    // The size is documented per store: LMDB's files, measured; "-" on Redis, which cannot tell.
    const size = TEST_STORE === 'lmdb' ? '[\\d.]+ KiB' : '-'
    expect(screen).toMatch(new RegExp(`\\* default\\s*│\\s*2\\s*│\\s*1\\s*│\\s*${size}`))
    expect(screen).toMatch(new RegExp(` {3}empty\\s*│\\s*0\\s*│\\s*0\\s*│\\s*${size}`))
  })

  it('gives a namespace the size kv ns check gives it (one definition), in the tables and in --json', async () => {
    const {start, kv} = await sandboxWith({a: {value: 'x'.repeat(300_000)}, b: {}})
    const listed = JSON.parse((await kv(['ns', 'list', '--json'])).text)[0]
    const checked = JSON.parse((await kv(['ns', 'check', 'default', '--json'])).text)
    expect(checked.bytesOnDisk).toBe(listed.bytesOnDisk)
    if (TEST_STORE === 'lmdb') expect(listed.bytesOnDisk).toBeGreaterThan(300_000)
    else expect(listed.bytesOnDisk).toBeNull()
    // The cell of the table's row for "default" under its Size column.
    const sizeIn = (screen: string) => {
      const cells = (line: string | undefined) => line?.split('│').map((cell) => cell.trim()).filter(Boolean) ?? []
      const lines = screen.split('\n')
      const column = cells(lines.find((line) => /│\s*Size\s*│|│\s*Size\s*$/.test(line) || line.includes('Size'))).indexOf('Size')
      return cells(lines.find((line) => /│\s*\*?\s*default\s*│/.test(line)))[column]
    }
    const listTable = (await start(['ns', 'list']).exit()).screen
    const checkTable = (await start(['ns', 'check']).exit()).screen
    expect(sizeIn(listTable)).toBeDefined()
    expect(sizeIn(checkTable)).toBe(sizeIn(listTable))
  })
})
