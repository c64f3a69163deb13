import {describe, expect, it} from 'vitest'

import {kvSandbox, tempDir} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

/** Habits users bring from other CLIs (git, docker, kubectl): what kv makes of them. */

describe('global flags before the command', () => {
  it('-n, --namespace, --store, --data-dir and --json may come first, in any spelling', async () => {
    const {kv} = kvSandbox()
    expect((await kv(['ns', 'create', 'flags'])).code).toBe(0)
    expectQuietSuccess(await kv(['-n', 'flags', 'put', 'beta', 'on']))
    expectOutput(await kv(['-n', 'flags', 'get', 'beta']), 'on')
    expectOutput(await kv(['--namespace=flags', 'get', 'beta']), 'on')
    expectOutput(await kv(['-nflags', 'get', 'beta']), 'on')
    expectOutput(await kv(['--namespace', 'flags', 'list']), 'beta\n')
    expect(JSON.parse((await kv(['--json', '-n', 'flags', 'get', 'beta'])).text)).toMatchObject({key: 'beta', value: 'on'})
    // A topic's command, and a key after "--" that looks like a flag.
    expect(JSON.parse((await kv(['-n', 'flags', 'ns', 'list', '--json'])).text).find((ns: {default: boolean}) => ns.default).name).toBe('flags')
    expectQuietSuccess(await kv(['-n', 'flags', 'put', '--', '-odd', 'v']))
    expectOutput(await kv(['get', '-n', 'flags', '--', '-odd']), 'v')
  })

  it('--store and --data-dir before the command pick the store', async () => {
    const {kv} = kvSandbox()
    const dataDir = tempDir('kv-first-')
    expectQuietSuccess(await kv(['--store', 'local', '--data-dir', dataDir, 'put', 'x', 'there']))
    expectOutput(await kv(['--data-dir', dataDir, '--store=local', 'get', 'x']), 'there')
    expectOutput(await kv(['get', 'x', '--store', 'local', '--data-dir', dataDir]), 'there')
  })

  it('flags and no command, or an unknown flag first: exit 2, one line', async () => {
    const {kv} = kvSandbox()
    expect(expectFailure(await kv(['-n', 'flags']), 2)).toBe('kv: no command in "kv -n flags"; kv --help lists the commands')
    expectFailure(await kv(['-n']), 2)
    expectFailure(await kv(['--bogus', 'get', 'k']), 2)
  })
})

describe('help as other CLIs spell it', () => {
  it('kv help, kv help COMMAND, kv COMMAND -h and kv -h print what --help prints', async () => {
    const {kv} = kvSandbox()
    const pairs: [string[], string[]][] = [
      [['help'], ['--help']],
      [['-h'], ['--help']],
      [['help', 'put'], ['put', '--help']],
      [['put', '-h'], ['put', '--help']],
      [['get', 'k', '-h'], ['get', '--help']],
      [['help', 'ns', 'list'], ['ns', 'list', '--help']],
      [['ns', 'list', '-h'], ['ns', 'list', '--help']],
      [['help', 'ns'], ['ns', '--help']],
    ]
    for (const [habit, help] of pairs) {
      const [got, wanted] = await Promise.all([kv(habit), kv(help)])
      expect({code: wanted.code, stderr: wanted.stderr}, help.join(' ')).toEqual({code: 0, stderr: ''})
      expect(wanted.text.length, help.join(' ')).toBeGreaterThan(100)
      expectOutput(got, wanted.text)
    }
  })

  it('-h after "--" is a value like any other', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', '--', '-h']))
    expectOutput(await kv(['get', 'k']), '-h')
  })
})

describe('mistyped commands', () => {
  it('are named as typed (kv ns lst, not ns:lst), with the nearest command when one is near', async () => {
    const {kv} = kvSandbox()
    const cases: [string[], string][] = [
      [['ns', 'lst'], 'kv: command "kv ns lst" not found; did you mean "kv ns list"?'],
      [['nss', 'list'], 'kv: command "kv nss list" not found; did you mean "kv ns list"?'],
      [['gett', 'k'], 'kv: command "kv gett" not found; did you mean "kv get"?'],
      [['lsit'], 'kv: command "kv lsit" not found; did you mean "kv list"?'],
      [['imprt', 'f.json'], 'kv: command "kv imprt" not found; did you mean "kv import"?'],
      [['store', 'shw'], 'kv: command "kv store shw" not found; did you mean "kv store show"?'],
      [['-n', 'x', 'ns', 'lst'], 'kv: command "kv ns lst" not found; did you mean "kv ns list"?'],
      [['help', 'ns', 'lst'], 'kv: command "kv ns lst" not found; did you mean "kv ns list"?'],
      [['bogus'], 'kv: command "kv bogus" not found; kv --help lists the commands'],
    ]
    const results = await Promise.all(cases.map(([args]) => kv(args)))
    for (const [i, result] of results.entries()) expect(expectFailure(result, 2), cases[i][0].join(' ')).toBe(cases[i][1])
  })

  it('under --json the error is one JSON line, as for every other error', async () => {
    const {kv} = kvSandbox()
    const line = expectFailure(await kv(['bogus', '--json']), 2, {json: true, code: 'USAGE'})
    expect(JSON.parse(line).error.message).toBe('command "kv bogus" not found; kv --help lists the commands')
    expectFailure(await kv(['--json', 'ns', 'lst']), 2, {json: true, code: 'USAGE'})
  })
})
