import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {KV_BIN, kvSandbox, runKv, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess, sh} from './cli-assert.js'
import {TmuxSession} from './tmux.js'

describe('kv put --metadata', () => {
  it('stores any JSON value with the key; get --json and list --json show it; a put without it leaves none', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'flag', 'on', '--metadata', '{"owner":"ana","ticket":"OPS-17"}']))
    expect(JSON.parse((await kv(['get', 'flag', '--json'])).text)).toEqual({key: 'flag', value: 'on', base64: false, expiresAt: null, metadata: {owner: 'ana', ticket: 'OPS-17'}, revision: 1})
    expectQuietSuccess(await kv(['put', 'plain', 'x']))
    expect(JSON.parse((await kv(['list', '--json'])).text).keys).toEqual([
      {name: 'flag', expiresAt: null, metadata: {owner: 'ana', ticket: 'OPS-17'}, revision: 1},
      {name: 'plain', expiresAt: null, metadata: null, revision: 2},
    ])
    expectQuietSuccess(await kv(['put', 'flag', 'off']))
    expect(JSON.parse((await kv(['get', 'flag', '--json'])).text).metadata).toBeNull()
  })

  it('invalid JSON or more than 1024 bytes: exit 2, one line naming the limit, nothing written', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'kept', '--metadata', '1']))
    expect(expectFailure(await kv(['put', 'k', 'new', '--metadata', '{owner: ana}']), 2)).toMatch(/^kv: --metadata: metadata is not valid JSON/)
    expect(expectFailure(await kv(['put', 'k', 'new', '--metadata', JSON.stringify('x'.repeat(1023))]), 2)).toBe(
      'kv: --metadata: metadata is 1025 bytes of JSON; the limit is 1024 bytes',
    )
    expect(JSON.parse((await kv(['get', 'k', '--json'])).text)).toMatchObject({value: 'kept', metadata: 1})
  })

  it('export writes it and import reads it back, byte for byte', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'a', '1', '--metadata', '{"n":[1,2,{"deep":"é"}]}']))
    expectQuietSuccess(await kv(['put', 'b', '2']))
    const exported = await kv(['export'])
    expect(exported.text).toBe('{"key":"a","value":"1","metadata":{"n":[1,2,{"deep":"é"}]}}\n{"key":"b","value":"2"}\n')
    const other = kvSandbox()
    expect((await other.kv(['import', '-'], {input: exported.text})).code).toBe(0)
    expectOutput(await other.kv(['export']), exported.text)
  })
})

describe('kv put --if-absent', () => {
  it('writes a missing key; an existing one exits 3 and keeps its value; an expired one counts as missing', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'seed', 'default', '--if-absent']))
    expect(expectFailure(await kv(['put', 'seed', 'override', '--if-absent']), 3)).toBe(
      'kv: key "seed" already exists in namespace "default"; nothing written (--if-absent)',
    )
    expectOutput(await kv(['get', 'seed']), 'default')
    const json = await kv(['put', 'seed', 'override', '--if-absent', '--json'])
    expect({code: json.code, stdout: JSON.parse(json.text)}).toEqual({code: 3, stdout: {key: 'seed', written: false}})
    expect(JSON.parse(json.stderr)).toMatchObject({error: {code: 'CONFLICT'}})
    expect(JSON.parse((await kv(['put', 'new', 'v', '--if-absent', '--json'])).text)).toEqual({key: 'new', written: true})
  })

  it('8 processes seeding one key at once: exactly one writes, the others exit 3', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'warm-up', 'v']))
    const results = await Promise.all(Array.from({length: 8}, (_, i) => kv(['put', 'flag:default', `seeder ${i}`, '--if-absent'])))
    const codes = results.map((result) => result.code).sort()
    expect(codes).toEqual([0, 3, 3, 3, 3, 3, 3, 3])
    const winner = results.findIndex((result) => result.code === 0)
    expectOutput(await kv(['get', 'flag:default']), `seeder ${winner}`)
  })
})

describe('the seeding idioms the README and kv put --help show', () => {
  it('pass when the key was written or already there (exit 3), and fail when the store is down (exit 4)', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    const {kv, env} = kvSandbox()
    const help = (await kv(['put', '--help'])).text
    const idioms = [...readme.split('\n'), ...help.split('\n')]
      .map((line) => line.replace(/^\s*(\$ )?/, '').replace(/\s+# .*$/, ''))
      .filter((line) => line.startsWith('kv put') || line.startsWith('rc=0; kv put'))
      .filter((line) => line.includes('--if-absent ||'))
    expect(idioms.length).toBeGreaterThanOrEqual(3)
    const down = {...env, KV_STORE: 'redis://127.0.0.1:1'}
    for (const idiom of idioms) {
      const key = /kv put (\S+)/.exec(idiom)![1]
      expectQuietSuccess(await kv(['delete', key]))
      // Written, then already there: both pass, and the first value stays.
      expect((await sh(idiom, env)).code, `${idiom} (absent)`).toBe(0)
      expect((await sh(idiom.replace(' off ', ' changed '), env)).code, `${idiom} (present)`).toBe(0)
      expectOutput(await kv(['get', key]), 'off')
      expect((await sh(idiom, down)).code, `${idiom} (store down)`).not.toBe(0)
    }
  })
})

describe('kv get with several keys', () => {
  it('prints one JSON object keyed by key (with or without --json); exit 1 after printing when one is missing', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'a', 'line one\nline two']))
    expectQuietSuccess(await kv(['put', 'b', 'x', '--metadata', '{"m":1}']))
    const both = await kv(['get', 'a', 'b'])
    expect(both.code).toBe(0)
    expect(JSON.parse(both.text)).toEqual({
      a: {key: 'a', value: 'line one\nline two', base64: false, expiresAt: null, metadata: null, revision: 1},
      b: {key: 'b', value: 'x', base64: false, expiresAt: null, metadata: {m: 1}, revision: 2},
    })
    expect((await kv(['get', 'a', 'b', '--json'])).text).toBe(both.text)
    const missing = await kv(['get', 'b', 'nope', 'a'])
    expect(missing.code).toBe(1)
    expect(Object.keys(JSON.parse(missing.text))).toEqual(['b', 'nope', 'a'])
    expect(JSON.parse(missing.text).nope).toBeNull()
    expect(missing.stderr).toBe('kv: key "nope" not found in namespace "default"\n')
  })

  it('a mistyped flag among the keys is a usage error; -- makes a dash key literal', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', '--', '-odd', 'v']))
    expectFailure(await kv(['get', 'a', '-x']), 2)
    expect(JSON.parse((await kv(['get', '--', 'a', '-odd'])).text)['-odd'].value).toBe('v')
  })
})

describe('kv edit', () => {
  /** An editor: a shell script that does `body` to the file it is given (its last argument, "$1" here). */
  function editor(body: string): string {
    return `sh -c '${body.replaceAll("'", "'\\''")}' editor`
  }

  /** A directory holding a `vi` that writes "from vi" into its file, and the file it creates when it runs. */
  function fakeVi(): {bin: string; ran: string} {
    const bin = tempDir('kv-fake-vi-')
    const ran = join(bin, 'ran')
    writeFileSync(join(bin, 'vi'), `#!/bin/sh\ntouch '${ran}'\nprintf "from vi" > "$1"\n`)
    chmodSync(join(bin, 'vi'), 0o755)
    return {bin, ran}
  }

  it('writes back a changed value, keeping its expiration and metadata', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'cfg', '{"limit": 10}', '--expires-in', '1h', '--metadata', '{"owner":"ana"}']))
    const before = JSON.parse((await kv(['get', 'cfg', '--json'])).text)
    expectQuietSuccess(await kv(['edit', 'cfg'], {env: {EDITOR: editor('sed -i "s/10/20/" "$1"')}}))
    const after = JSON.parse((await kv(['get', 'cfg', '--json'])).text)
    expect(after).toEqual({...before, value: '{"limit": 20}', revision: before.revision + 1})
  })

  it('$VISUAL wins over $EDITOR; the variable may hold arguments; the file is the last argument, private (0600)', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'note', 'hello']))
    const visual = editor('[ "$1" = --flag ] && [ "$(stat -c %a "$2")" = 600 ] && printf changed > "$2"')
    expectQuietSuccess(await kv(['edit', 'note'], {env: {VISUAL: `${visual} --flag`, EDITOR: editor('exit 9')}}))
    expectOutput(await kv(['get', 'note']), 'changed')
  })

  it('an unchanged file writes nothing and exits 0', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v', '--expires-in', '1h']))
    const version = JSON.parse((await kv(['get', 'k', '--json'])).text)
    const result = await kv(['edit', 'k'], {env: {EDITOR: 'true'}})
    expect({code: result.code, stdout: result.text, stderr: result.stderr}).toEqual({code: 0, stdout: '', stderr: 'kv: no changes to key "k"; nothing written\n'})
    expect(JSON.parse((await kv(['get', 'k', '--json'])).text)).toEqual(version)
  })

  it('the key changed while the editor ran: exit 3, the other change stays, the edited text is kept in the file named', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'flags', '{"beta": false}']))
    // The editor itself makes the conflicting write, as a colleague's `kv put` would, then saves its edit.
    const other = `"${process.execPath}" "${KV_BIN}" put flags '{"beta": "theirs"}'`
    const line = expectFailure(await kv(['edit', 'flags'], {env: {EDITOR: editor(`${other} && printf '{"beta": "mine"}' > "$1"`)}}), 3)
    expect(line).toMatch(/^kv: key "flags" changed \(or expired\) in namespace "default" while it was being edited; nothing written; your text is kept in (\S+)$/)
    const file = line.split(' ').at(-1)!
    expectOutput(await kv(['get', 'flags']), '{"beta": "theirs"}')
    expect(readFileSync(file, 'utf8')).toBe('{"beta": "mine"}')
  })

  it('the key expired while the editor ran: exit 3 as for a change, nothing written, the edited text kept', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'session', 'old', '--expires-in', '0.5']))
    // The editor waits (polling, no fixed sleep) until the key has expired, then saves its edit.
    const gone = `until ! "${process.execPath}" "${KV_BIN}" get session > /dev/null 2>&1; do :; done`
    const line = expectFailure(await kv(['edit', 'session'], {env: {EDITOR: editor(`${gone}; printf new > "$1"`)}}), 3)
    expect(line).toMatch(/^kv: key "session" changed \(or expired\) in namespace "default" while it was being edited; nothing written; your text is kept in \S+$/)
    expectFailure(await kv(['get', 'session']), 1)
  })

  it('a value that was JSON must stay JSON: exit 2, nothing written, the text kept', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'cfg', '[1, 2]']))
    const line = expectFailure(await kv(['edit', 'cfg'], {env: {EDITOR: editor('printf "[1, 2" > "$1"')}}), 2)
    expect(line).toMatch(/^kv: the edited value of key "cfg" is no longer valid JSON \(.*\); nothing written; your text is kept in \S+$/)
    expectOutput(await kv(['get', 'cfg']), '[1, 2]')
    // Text that was not JSON may become anything.
    expectQuietSuccess(await kv(['put', 'note', 'plain']))
    expectQuietSuccess(await kv(['edit', 'note'], {env: {EDITOR: editor('printf "{not json" > "$1"')}}))
    expectOutput(await kv(['get', 'note']), '{not json')
  })

  it('a missing key exits 1; a binary value exits 2 naming why; a failing editor exits 2 and writes nothing', async () => {
    const {kv} = kvSandbox()
    expect(expectFailure(await kv(['edit', 'nope'], {env: {EDITOR: 'true'}}), 1)).toBe('kv: key "nope" not found in namespace "default"')
    expectQuietSuccess(await kv(['put', 'bin'], {input: Buffer.from([0xff, 0xfe, 0x00])}))
    expect(expectFailure(await kv(['edit', 'bin'], {env: {EDITOR: 'true'}}), 2)).toMatch(/is binary, not UTF-8 text/)
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    expect(expectFailure(await kv(['edit', 'k'], {env: {EDITOR: editor('printf x > "$1"; exit 1')}}), 2)).toMatch(/^kv: the editor ".*" exited with status 1; nothing written; your text is kept in \S+$/)
    expectOutput(await kv(['get', 'k']), 'v')
  })

  it('on a terminal, text that broke JSON can be fixed at once: kv offers to reopen the editor', async () => {
    const {kv, env} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'cfg', '{"a": 1}']))
    const tries = join(tempDir('kv-tries-'), 'count')
    // First save: broken JSON; second: fixed.
    const script = `echo x >> "${tries}"; if [ "$(wc -l < "${tries}")" -eq 1 ]; then printf "{\\"a\\": " > "$1"; else printf "{\\"a\\": 2}" > "$1"; fi`
    const session = TmuxSession.start(['edit', 'cfg'], {...env, EDITOR: editor(script)})
    await session.waitFor('The value is no longer valid JSON')
    session.keys('Enter')
    expect((await session.exit()).code).toBe(0)
    expectOutput(await kv(['get', 'cfg']), '{"a": 2}')
  })

  it('without a terminal and with no EDITOR or VISUAL: exit 2 at once, vi never runs', async () => {
    const {kv, env: sandbox} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const {bin, ran} = fakeVi()
    const result = await runKv(['edit', 'k'], {env: {...sandbox, PATH: `${bin}:${process.env.PATH}`, EDITOR: undefined, VISUAL: undefined}})
    expect(expectFailure(result, 2)).toBe('kv: kv edit needs a terminal, or EDITOR set to a command that does not need one')
    expect(existsSync(ran)).toBe(false)
    expectOutput(await kv(['get', 'k']), 'v')
  })

  it('on a terminal, with no EDITOR or VISUAL: runs vi from PATH', async () => {
    const {kv, env} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const {bin, ran} = fakeVi()
    const session = TmuxSession.start(['edit', 'k'], {...env, PATH: `${bin}:${process.env.PATH}`, EDITOR: '', VISUAL: ''})
    expect((await session.exit()).code).toBe(0)
    expect(existsSync(ran)).toBe(true)
    expectOutput(await kv(['get', 'k']), 'from vi')
  })

  it('the newline an editor ends the file with is not stored when the value had none; one that ended with a newline keeps it', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'flag:x', 'off', '--metadata', '{"owner":"ana"}']))
    const before = JSON.parse((await kv(['get', 'flag:x', '--json'])).text)
    const unchanged = await kv(['edit', 'flag:x'], {env: {EDITOR: editor('printf "\\n" >> "$1"')}})
    expect({code: unchanged.code, stderr: unchanged.stderr}).toEqual({code: 0, stderr: 'kv: no changes to key "flag:x"; nothing written\n'})
    expect(JSON.parse((await kv(['get', 'flag:x', '--json'])).text)).toEqual(before)
    const cases: [string, string, string][] = [
      ['off', 'on\\n', 'on'],
      ['off', 'on\\r\\n', 'on'],
      ['off', 'on\\n\\n', 'on\n'],
      ['line\n', 'two\\n', 'two\n'],
      ['line\n', 'two', 'two'],
    ]
    for (const [stored, saved, expected] of cases) {
      expectQuietSuccess(await kv(['put', 'k', stored]))
      expectQuietSuccess(await kv(['edit', 'k'], {env: {EDITOR: editor(`printf "${saved}" > "$1"`)}}))
      expectOutput(await kv(['get', 'k']), expected)
    }
  })

  it('in vi on a terminal, :wq without a change writes nothing; an edit stores no newline the value did not have', async () => {
    const {kv, env} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'flag:x', 'off']))
    // A home of its own: no vimrc but the system's.
    const vi = {...env, HOME: tempDir('kv-home-'), EDITOR: '', VISUAL: ''}
    const wq = TmuxSession.start(['edit', 'flag:x'], vi)
    await wq.waitFor(/^off\s*$/m)
    wq.type(':wq')
    wq.keys('Enter')
    const {code, screen} = await wq.exit()
    expect(code).toBe(0)
    expect(screen).toContain('kv: no changes to key "flag:x"; nothing written')
    expectOutput(await kv(['get', 'flag:x']), 'off')

    const edit = TmuxSession.start(['edit', 'flag:x'], vi)
    await edit.waitFor(/^off\s*$/m)
    edit.type('ciwon')
    edit.keys('Escape')
    edit.type(':wq')
    edit.keys('Enter')
    expect((await edit.exit()).code).toBe(0)
    expectOutput(await kv(['get', 'flag:x']), 'on')
  })

  it("the editor's own output goes to stderr: stdout carries only what kv prints", async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const result = await kv(['edit', 'k', '--json'], {env: {EDITOR: editor('echo editor-noise; printf x > "$1"')}})
    expect({code: result.code, stdout: JSON.parse(result.text), stderr: result.stderr}).toEqual({code: 0, stdout: {key: 'k', written: true}, stderr: 'editor-noise\n'})
  })

  it('Ctrl-C at "Edit it again?" cancels with exit 130, saying where the edited text is kept', async () => {
    const {kv, env} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'cfg', '{"a": 1}']))
    const session = TmuxSession.start(['edit', 'cfg'], {...env, EDITOR: editor('printf "{\\"a\\": " > "$1"')})
    await session.waitFor('Edit it again?')
    session.keys('C-c')
    const {code, screen} = await session.exit()
    expect(code).toBe(130)
    expect(screen).not.toContain('internal error')
    const file = /kv: cancelled; nothing written; your text is kept in (\S+)/.exec(screen)?.[1]
    expect(file, screen).toBeDefined()
    expect(readFileSync(file!, 'utf8')).toBe('{"a": ')
    expectOutput(await kv(['get', 'cfg']), '{"a": 1}')
  })
})
