import {describe, expect, it} from 'vitest'

import {namespaceExists, openNamespace} from '../../src/index.js'
import {kvSandbox} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'

interface Page {
  keys: {name: string; expiresAt: number | null; revision: number}[]
  cursor: string | null
  complete: boolean
}

/** Puts each key (value = key) through the CLI: the first alone (it creates the namespace), the rest at once. */
async function putAll(kv: ReturnType<typeof kvSandbox>['kv'], keys: string[], extra: string[] = []) {
  const [first, ...rest] = keys
  expectQuietSuccess(await kv(['put', ...extra, first, first]))
  for (const result of await Promise.all(rest.map((key) => kv(['put', ...extra, key, key])))) expectQuietSuccess(result)
}

describe('kv list', () => {
  it('prints one key per line in UTF-8 byte order', async () => {
    const {kv} = kvSandbox()
    // UTF-8 byte order differs from UTF-16 order for U+FF01 (EF BC 81) against U+1F600 (F0 9F 98 80).
    const ordered = ['!', ',', 'A', 'a', 'z', 'é', '\uFF01', '\u{1F600}']
    await putAll(kv, ['z', '\u{1F600}', 'a', 'é', '!', '\uFF01', 'A', ','])
    const [plain, json] = await Promise.all([kv(['list']), kv(['list', '--json'])])
    expectOutput(plain, ordered.map((key) => `${key}\n`).join(''))
    const page = JSON.parse(json.text) as Page
    expect(page).toEqual({
      keys: ordered.map((name) => ({name, expiresAt: null, metadata: null, revision: expect.any(Number)})),
      cursor: null,
      complete: true,
    })
    // The puts ran at once: each is a revision of its own, in whatever order they committed.
    expect(page.keys.map((key) => key.revision).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('matches --prefix literally (% and _ are not wildcards)', async () => {
    const {kv} = kvSandbox()
    await putAll(kv, ['a%b', 'a%c', 'ab', 'a_x', 'axx', 'b%', 'user:1', 'user:2', 'users'])
    const [percent, underscore, user, none, all] = await Promise.all([
      kv(['list', '--prefix', 'a%']),
      kv(['list', '--prefix', 'a_']),
      kv(['list', '--prefix', 'user:']),
      kv(['list', '--prefix', 'zz']),
      kv(['list', '--prefix', '']),
    ])
    expectOutput(percent, 'a%b\na%c\n')
    expectOutput(underscore, 'a_x\n')
    expectOutput(user, 'user:1\nuser:2\n')
    expectOutput(none, '')
    expectOutput(all, 'a%b\na%c\na_x\nab\naxx\nb%\nuser:1\nuser:2\nusers\n')
  })

  it('--limit returns the first keys and says on stderr (one line) that more follow', async () => {
    const {kv} = kvSandbox()
    await putAll(kv, ['k1', 'k2', 'k3'])
    const [two, three, json] = await Promise.all([
      kv(['list', '--limit', '2']),
      kv(['list', '--limit', '3']),
      kv(['list', '--limit', '2', '--json']),
    ])
    expect({code: two.code, stdout: two.text}).toEqual({code: 0, stdout: 'k1\nk2\n'})
    expect(two.stderr).toMatch(/^kv: [^\n]*--cursor [A-Za-z0-9_-]+\n$/)
    expectOutput(three, 'k1\nk2\nk3\n')
    const page = JSON.parse(json.text) as Page
    expect(json.stderr).toBe('')
    expect(page.keys.map((key) => key.name)).toEqual(['k1', 'k2'])
    expect(page.complete).toBe(false)
    expect(two.stderr).toContain(page.cursor)
  })

  it('rejects --limit 0, -1, abc, 1.5 and 100001 with exit 2 (JSON error under --json)', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const bad = ['0', '-1', 'abc', '1.5', '100001', '']
    const [results, json] = await Promise.all([
      Promise.all(bad.map((limit) => kv(['list', '--limit', limit]))),
      Promise.all([kv(['list', '--limit=0', '--json']), kv(['list', '--json', '--limit', '1.5'])]),
    ])
    for (const [i, result] of results.entries()) {
      expect(result.code, `--limit ${JSON.stringify(bad[i])}`).toBe(2)
      expectFailure(result, 2)
    }
    for (const result of json) expectFailure(result, 2, {json: true, code: 'LIMIT_INVALID'})
  })

  it('--json gives {keys: [{name, expiresAt}], cursor, complete}', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'plain', 'v']))
    const before = Date.now()
    expectQuietSuccess(await kv(['put', 'expiring', 'v', '--expires-in', '1h']))
    const after = Date.now()
    const result = await kv(['list', '--json'])
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expect(result.text).toMatch(/^[^\n]+\n$/)
    const page = JSON.parse(result.text) as Page
    expect(Object.keys(page).sort()).toEqual(['complete', 'cursor', 'keys'])
    expect(page).toEqual({
      keys: [
        {name: 'expiring', expiresAt: expect.any(Number), metadata: null, revision: 2},
        {name: 'plain', expiresAt: null, metadata: null, revision: 1},
      ],
      cursor: null,
      complete: true,
    })
    expect(page.keys[0].expiresAt).toBeGreaterThanOrEqual(before + 3600_000)
    expect(page.keys[0].expiresAt).toBeLessThanOrEqual(after + 3600_000 + 1)
  })

  it('pages with --cursor through every key exactly once (25 keys, limit 10: 3 pages)', async () => {
    const {kv, location} = kvSandbox()
    const keys = Array.from({length: 25}, (_, i) => `key:${String(i).padStart(2, '0')}`)
    // Seeded through the library (25 spawns would only slow the suite); listing is what is under test.
    const namespace = await openNamespace('default', {...location, create: true})
    try {
      for (const key of [...keys].reverse()) await namespace.put(key, key)
      await namespace.put('other', 'not under the prefix')
    } finally {
      await namespace.close()
    }

    const seen: string[] = []
    const pages: Page[] = []
    let cursor: string | null = null
    do {
      const args: string[] = ['list', '--json', '--limit', '10', '--prefix', 'key:']
      if (cursor !== null) args.push('--cursor', cursor)
      const result = await kv(args)
      expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
      const page = JSON.parse(result.text) as Page
      pages.push(page)
      seen.push(...page.keys.map((key) => key.name))
      cursor = page.cursor
      expect(page.complete).toBe(cursor === null)
    } while (cursor !== null && pages.length < 10)

    expect(pages.map((page) => page.keys.length)).toEqual([10, 10, 5])
    expect(seen).toEqual(keys)

    // The cursor from a JSON page works for the plain output too.
    const rest = await kv(['list', '--limit', '100', '--cursor', pages[1].cursor!])
    expectOutput(rest, 'key:20\nkey:21\nkey:22\nkey:23\nkey:24\nother\n')
  })

  it('rejects an invalid --cursor with exit 2 (JSON error under --json)', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const bad = ['!!', 'not a cursor', '', 'A'.repeat(1000)]
    const [results, json] = await Promise.all([
      Promise.all(bad.map((cursor) => kv(['list', '--cursor', cursor]))),
      kv(['list', '--json', '--cursor=!!']),
    ])
    for (const [i, result] of results.entries()) {
      expect(result.code, `--cursor ${JSON.stringify(bad[i])}`).toBe(2)
      expectFailure(result, 2)
    }
    expectFailure(json, 2, {json: true, code: 'CURSOR_INVALID'})
  })

  it('takes only a cursor kv printed: --cursor null (jq of a complete page) and other base64url text exit 2', async () => {
    const {kv} = kvSandbox()
    for (const key of ['a', 'foo', 'fop']) expectQuietSuccess(await kv(['put', key, 'v']))
    const complete = await kv(['list', '--json'])
    expect(JSON.parse(complete.text)).toMatchObject({cursor: null, complete: true})
    expect(expectFailure(await kv(['list', '--cursor', 'null']), 2)).toBe('kv: invalid cursor "null": a complete list has cursor null, and nothing follows it')
    expect(expectFailure(await kv(['list', '--cursor', 'Zm9v']), 2)).toBe('kv: invalid cursor "Zm9v": not one kv made; pass the cursor a previous list returned, exactly')
    expectFailure(await kv(['list', '--json', '--cursor', 'null']), 2, {json: true, code: 'CURSOR_INVALID'})
  })

  it("the help's loop walks every key and stops at the page whose cursor is null", async () => {
    const {kv, env, location} = kvSandbox()
    const keys = Array.from({length: 25}, (_, i) => `key:${String(i).padStart(2, '0')}`)
    const ns = await openNamespace('default', {...location, create: true})
    await ns.batch((batch) => {
      for (const key of keys) batch.put(key, 'v')
    })
    await ns.close()
    const help = (await kv(['list', '--help'])).text
    const loop = help.split('\n').map((line) => line.trim()).find((line) => line.startsWith('cursor=; while'))
    expect(loop).toBeDefined()
    const result = await sh(loop!.replace('kv list --json', 'kv list --json --limit 10'), env)
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    expect(result.text).toBe(`${keys.join('\n')}\n`)
  })

  it('prints nothing and exits 0 on a never-written default namespace, without creating it', async () => {
    const {kv, location} = kvSandbox()
    const [plain, json, limited] = await Promise.all([kv(['list']), kv(['list', '--json']), kv(['list', '--prefix', 'x', '--limit', '1'])])
    expectOutput(plain, '')
    expectOutput(limited, '')
    expect(JSON.parse(json.text)).toEqual({keys: [], cursor: null, complete: true})
    expect(await namespaceExists('default', location)).toBe(false)
  })

  it('prints nothing and exits 0 on an emptied namespace', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    expectQuietSuccess(await kv(['delete', 'k']))
    expectOutput(await kv(['list']), '')
  })
})
