import {describe, expect, it} from 'vitest'

import {kvSandbox} from '../helpers.js'
import {TEST_STORE} from '../store-under-test.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'
import {TmuxSession} from './tmux.js'

interface ChangeJson {
  revision: number
  key: string
  type: string
  actor: string
  at: number
  operation: string
  revertedTo: number | null
  size: number | null
  expiresAt: number | null
  metadata: unknown
  value?: string | null
  base64?: boolean
}

const changesOf = (text: string) => (JSON.parse(text) as {changes: ChangeJson[]; cursor: string | null})

describe('kv history', () => {
  it('lists a key\'s changes newest first, with who, when, what and the size; --json and --values for scripts', async () => {
    const {kv} = kvSandbox()
    const before = Date.now()
    expectQuietSuccess(await kv(['put', 'flags', '{"beta":false}', '--actor', 'ana', '--metadata', '{"ticket":"OPS-1"}']))
    expectQuietSuccess(await kv(['put', 'flags', '{"beta":true}'], {env: {KV_ACTOR: 'ci@runner'}}))
    expectQuietSuccess(await kv(['delete', 'flags', '--actor', 'bob']))
    const json = await kv(['history', 'flags', '--json', '--values'])
    expect({code: json.code, stderr: json.stderr}).toEqual({code: 0, stderr: ''})
    const {changes, cursor} = changesOf(json.text)
    expect(cursor).toBeNull()
    expect(changes.map((change) => [change.revision, change.type, change.actor, change.size, change.metadata, change.value])).toEqual([
      [3, 'delete', 'bob', null, null, null],
      [2, 'put', 'ci@runner', 13, null, '{"beta":true}'],
      [1, 'put', 'ana', 14, {ticket: 'OPS-1'}, '{"beta":false}'],
    ])
    expect(changes.every((change) => change.at >= before && change.at <= Date.now())).toBe(true)
    // One line per change when piped: tab-separated columns.
    const lines = (await kv(['history', 'flags'])).text.trimEnd().split('\n').map((line) => line.split('\t'))
    expect(lines.map((columns) => [columns[0], columns[2], columns[3], columns[4]])).toEqual([
      ['3', 'bob', 'delete', 'flags'],
      ['2', 'ci@runner', 'put', 'flags'],
      ['1', 'ana', 'put', 'flags'],
    ])
    expect(lines[2][5]).toBe('14 B, metadata {"ticket":"OPS-1"}')
  })

  it('without a key is the namespace\'s log, paged with --limit and --cursor; --prefix filters it', async () => {
    const {kv} = kvSandbox()
    for (const key of ['a:1', 'b:1', 'a:2', 'b:2', 'a:3']) expectQuietSuccess(await kv(['put', key, 'v']))
    const first = changesOf((await kv(['history', '--json', '--limit', '2'])).text)
    expect(first.changes.map((change) => change.key)).toEqual(['a:3', 'b:2'])
    const second = changesOf((await kv(['history', '--json', '--limit', '2', '--cursor', first.cursor!])).text)
    expect(second.changes.map((change) => change.key)).toEqual(['a:2', 'b:1'])
    const piped = await kv(['history', '--limit', '2'])
    expect(piped.stderr).toBe(`kv: older changes follow: continue with --cursor ${first.cursor}\n`)
    expect(changesOf((await kv(['history', '--json', '--prefix', 'a:'])).text).changes.map((change) => change.key)).toEqual(['a:3', 'a:2', 'a:1'])
  })

  it('bad input: a key with --prefix, a cursor kv did not make, a bad limit: exit 2 with one line', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'a', 'v']))
    expect(expectFailure(await kv(['history', 'a', '--prefix', 'x']), 2)).toBe('kv: history takes a key or a prefix, not both')
    expect(expectFailure(await kv(['history', '--cursor', 'Zm9v']), 2)).toMatch(/invalid history cursor/)
    expectFailure(await kv(['history', '--limit', '0']), 2)
    expectFailure(await kv(['history', '-n', 'missing']), 1)
  })
})

describe('kv get --revision', () => {
  it('prints the value as it was right after a revision; exit 1 when the key did not exist then; exit 2 for a bad revision', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'one']))
    expectQuietSuccess(await kv(['put', 'k', 'two']))
    expectQuietSuccess(await kv(['put', 'other', 'x']))
    expectOutput(await kv(['get', 'k', '--revision', '1']), 'one')
    expectOutput(await kv(['get', 'k', '--revision', '3']), 'two')
    const json = JSON.parse((await kv(['get', 'k', '--revision', '1', '--json'])).text)
    expect(json).toMatchObject({key: 'k', value: 'one', revision: 1})
    expect(expectFailure(await kv(['get', 'other', '--revision', '2']), 1)).toBe('kv: key "other" not found in namespace "default" at revision 2')
    expect(expectFailure(await kv(['get', 'k', '--revision', '4']), 2)).toBe('kv: revision 4 is newer than namespace "default"\'s current revision (3)')
    expect(expectFailure(await kv(['get', 'k', '--revision', 'x']), 2)).toMatch(/revision must be a whole number from 0, got "x"/)
  })

  it('a revision older than the history kept exits 1 naming the oldest revision kept', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'short', '--history', '2'])).code).toBe(0)
    for (let i = 1; i <= 5; i++) expectQuietSuccess(await kv(['put', 'k', String(i), '-n', 'short']))
    expectOutput(await kv(['get', 'k', '--revision', '3', '-n', 'short']), '3')
    expect(expectFailure(await kv(['get', 'k', '--revision', '2', '-n', 'short']), 1)).toBe(
      'kv: that revision is older than the history namespace "short" keeps: the oldest revision kept is 3',
    )
  })
})

describe('kv revert', () => {
  it('undoes a delete --prefix with the command it prints; --dry-run writes nothing; nothing to do exits 0', async () => {
    const {kv} = kvSandbox()
    for (let i = 0; i < 5; i++) expectQuietSuccess(await kv(['put', `tmp:${i}`, `value ${i}`, '--expires-in', '1h']))
    expectQuietSuccess(await kv(['put', 'keep', 'k']))
    const deleted = await kv(['delete', '--prefix', 'tmp:', '--yes'])
    expect(deleted.stderr).toBe('kv: deleted 5 keys at revision 7; undo: kv revert --to 6 --prefix tmp:\n')
    const dry = await kv(['revert', '--to', '6', '--prefix', 'tmp:', '--dry-run'])
    expect({code: dry.code, stdout: dry.text, stderr: dry.stderr}).toEqual({
      code: 0,
      stdout: 'put tmp:0\nput tmp:1\nput tmp:2\nput tmp:3\nput tmp:4\n',
      stderr: 'kv: would revert 5 keys to revision 6 (dry run: nothing written)\n',
    })
    expect((await kv(['list', '--prefix', 'tmp:'])).text).toBe('')
    const done = await kv(['revert', '--to', '6', '--prefix', 'tmp:', '--yes'])
    expect({code: done.code, stdout: done.text, stderr: done.stderr}).toEqual({
      code: 0,
      stdout: '',
      stderr: 'kv: reverted 5 keys to revision 6 at revision 8; undo: kv revert --to 7 --prefix tmp:\n',
    })
    expectOutput(await kv(['get', 'tmp:3']), 'value 3')
    expect(JSON.parse((await kv(['get', 'tmp:3', '--json'])).text).expiresAt).toEqual(expect.any(Number))
    const again = await kv(['revert', '--to', '6', '--prefix', 'tmp:', '--yes', '--json'])
    expect({code: again.code, stderr: again.stderr}).toEqual({code: 0, stderr: ''})
    expect(JSON.parse(again.text)).toEqual({reverted: 0, revisions: null, changes: []})
    const history = changesOf((await kv(['history', 'tmp:3', '--json'])).text).changes
    expect(history[0]).toMatchObject({revision: 8, type: 'put', operation: 'revert', revertedTo: 6})
  })

  it('needs a key or --prefix and --to; without a terminal, --yes (exit 2, nothing written)', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'one']))
    expectQuietSuccess(await kv(['put', 'k', 'two']))
    expect(expectFailure(await kv(['revert', 'k', '--to', '1']), 2)).toBe('kv: no terminal to ask for confirmation: add --yes to revert 1 key to revision 1')
    expectOutput(await kv(['get', 'k']), 'two')
    expectFailure(await kv(['revert', '--to', '1']), 2)
    expectFailure(await kv(['revert', 'k', '--prefix', 'x', '--to', '1']), 2)
    expectFailure(await kv(['revert', 'k']), 2)
    expectFailure(await kv(['revert', 'k', '--to', '9', '--yes']), 2)
  })

  it('on a terminal shows what changes and asks; no writes nothing, yes reverts', async () => {
    const {kv, env} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'flag', 'off']))
    expectQuietSuccess(await kv(['put', 'flag', 'on']))
    const no = TmuxSession.start(['revert', 'flag', '--to', '1'], env)
    await no.waitFor('Revert 1 key (1 put back, 0 deleted: "flag") in namespace "default" to revision 1?')
    no.type('n')
    no.keys('Enter')
    expect((await no.exit()).code).toBe(0)
    expectOutput(await kv(['get', 'flag']), 'on')
    const yes = TmuxSession.start(['revert', 'flag', '--to', '1'], env)
    await yes.waitFor('to revision 1?')
    yes.type('y')
    yes.keys('Enter')
    const {code, screen} = await yes.exit()
    expect(code).toBe(0)
    expect(screen).toContain('reverted 1 key to revision 1 at revision 3; undo: kv revert --to 2 flag')
    expectOutput(await kv(['get', 'flag']), 'off')
  })
})

describe('history settings', () => {
  it('kv ns create --history and kv ns set change what a namespace keeps; kv ns list --json shows it', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'sessions', '--history', 'off'])).code).toBe(0)
    expect((await kv(['ns', 'create', 'flags', '--history', '90d,500'])).code).toBe(0)
    const listed = JSON.parse((await kv(['ns', 'list', '--json'])).text) as {name: string; history: unknown; revision: number; oldestRevision: number}[]
    expect(listed.map(({name, history, revision}) => [name, history, revision])).toEqual([
      ['flags', {maxAge: 90 * 86_400, maxRevisions: 500}, 0],
      ['sessions', false, 0],
    ])
    const set = await kv(['ns', 'set', 'sessions', '--history', '12h'])
    expect({code: set.code, stderr: set.stderr}).toEqual({code: 0, stderr: 'kv: namespace "sessions" keeps history for 12 hours\n'})
    expect(expectFailure(await kv(['ns', 'set', 'flags', '--history', 'forever']), 2)).toMatch(/invalid history setting "forever": use off, an age/)
    expect(expectFailure(await kv(['ns', 'set', 'flags']), 2)).toMatch(/nothing to set/)
    expectFailure(await kv(['ns', 'set', 'missing', '--history', 'off']), 1)
    // Without history, a delete --prefix says where it happened but offers no undo.
    expectQuietSuccess(await kv(['put', 's:1', 'x', '-n', 'flags']))
    expect((await kv(['ns', 'set', 'flags', '--history', 'off'])).code).toBe(0)
    expect((await kv(['delete', '--prefix', 's:', '--yes', '-n', 'flags'])).stderr).toBe('kv: deleted 1 key at revision 2 (no history kept: it cannot be undone)\n')
  })

  it('an actor with a control character exits 2 and writes nothing', async () => {
    const {kv} = kvSandbox()
    expect(expectFailure(await kv(['put', 'k', 'v', '--actor', 'a\u0007b']), 2)).toMatch(/invalid actor/)
    expect((await kv(['list'])).text).toBe('')
    if (TEST_STORE === 'lmdb') expect((await kv(['ns', 'list'])).text).toBe('')
  })
})
