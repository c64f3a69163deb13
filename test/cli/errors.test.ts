import {createServer} from 'node:net'
import {describe, expect, it} from 'vitest'

import {kvSandbox} from '../helpers.js'
import {expectFailure, expectOutput, expectQuietSuccess} from './cli-assert.js'

/** A local TCP port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

const EXIT_CODE_LINES = [
  /0\s+success/,
  /1\s+not found \(key or namespace/,
  /2\s+invalid input or usage/,
  /3\s+conflict \(namespace already exists; key exists or changed meanwhile\)/,
  /4\s+storage failure/,
]

describe('--help', () => {
  it('kv --help, kv get --help (and the other commands) document the exit codes', async () => {
    const {kv} = kvSandbox()
    const commands = [['--help'], ['get', '--help'], ['put', '--help'], ['list', '--help'], ['delete', '--help'], ['ns', 'create', '--help']]
    const results = await Promise.all(commands.map((args) => kv(args)))
    for (const [i, result] of results.entries()) {
      expect(result.code, commands[i].join(' ')).toBe(0)
      expect(result.text).toContain('EXIT CODES')
      for (const line of EXIT_CODE_LINES) expect(result.text, commands[i].join(' ')).toMatch(line)
    }
  })
})

describe('usage errors: exit 2, one line on stderr, nothing on stdout', () => {
  it('for missing and extra arguments, unknown flags and flags without values', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const cases = [
      ['get'],
      ['get', 'k', '--bogus'],
      ['get', 'k', 'other', '-x'],
      ['put'],
      ['put', 'k', 'v', 'extra'],
      ['put', 'k', 'v', '--expires-in'],
      ['put', 'k', 'v', '--bogus'],
      ['put', 'k', '--file'],
      ['list', 'extra'],
      ['list', '--limit'],
      ['list', '--bogus'],
      ['ns', 'create'],
      ['get', ''],
      ['put', '', 'v'],
    ]
    const results = await Promise.all(cases.map((args) => kv(args)))
    for (const [i, result] of results.entries()) {
      expect(result.code, `kv ${cases[i].join(' ')}: ${result.stderr}`).toBe(2)
      expectFailure(result, 2)
    }
    expectOutput(await kv(['get', 'k']), 'v')
  })

  it("oclif's parse errors are one line in kv's words, naming the problem and where help is", async () => {
    const {kv} = kvSandbox()
    const cases: [string[], string][] = [
      [['put'], 'kv: missing argument KEY: key to write (1 to 512 bytes of UTF-8); see kv put --help'],
      [['ns', 'create'], 'kv: missing argument NAME: name of the new namespace; see kv ns create --help'],
      [['completion'], 'kv: missing argument SHELL: shell to write the script for (bash, zsh, fish); see kv completion --help'],
      [['put', 'k', 'v', 'extra'], 'kv: unexpected argument "extra"; see kv put --help'],
      [['get', 'k', '--bogus'], 'kv: unknown flag --bogus; see kv get --help'],
      [['put', 'k', 'v', '--expires-in'], 'kv: --expires-in needs a value'],
      [['export', '--format', 'xml'], 'kv: --format: "xml" is not one of ndjson, json'],
      [['completion', 'tcsh'], 'kv: "tcsh" is not one of bash, zsh, fish'],
      [['delete', '--from', '-', '--prefix', 'b'], 'kv: --from and --prefix cannot be used together; see kv delete --help'],
    ]
    const results = await Promise.all(cases.map(([args]) => kv(args)))
    for (const [i, result] of results.entries()) expect(expectFailure(result, 2), cases[i][0].join(' ')).toBe(cases[i][1])
  })

  it('with --json, errors of get and list are one JSON line on stderr', async () => {
    const {kv} = kvSandbox()
    expectQuietSuccess(await kv(['put', 'k', 'v']))
    const cases: [string[], number, string][] = [
      [['get', 'missing', '--json'], 1, 'KEY_NOT_FOUND'],
      [['get', '--json'], 2, 'USAGE'],
      [['get', 'k', '--json', '--bogus'], 2, 'USAGE'],
      [['get', 'x'.repeat(513), '--json'], 2, 'KEY_TOO_LONG'],
      [['get', 'k', '--json', '-n', 'ghost'], 1, 'NAMESPACE_NOT_FOUND'],
      [['get', 'k', '--json', '-n', 'Bad/Name'], 2, 'NAMESPACE_NAME_INVALID'],
      [['list', '--json', '--limit', '0'], 2, 'LIMIT_INVALID'],
      [['list', '--json', '--cursor', '%%'], 2, 'CURSOR_INVALID'],
      [['list', '--json', '--bogus'], 2, 'USAGE'],
      [['list', '--json', '-n', 'ghost'], 1, 'NAMESPACE_NOT_FOUND'],
    ]
    const results = await Promise.all(cases.map(([args]) => kv(args)))
    for (const [i, result] of results.entries()) {
      const [args, exitCode, code] = cases[i]
      expect(result.code, `kv ${args.join(' ')}: ${result.stderr}`).toBe(exitCode)
      expectFailure(result, exitCode, {json: true, code})
    }
  })
})

describe('storage failures: exit 4', () => {
  it('a store that cannot be reached: exit 4 and one line naming it, also under --json', async () => {
    const {kv} = kvSandbox()
    const store = `redis://127.0.0.1:${await closedPort()}`
    const [put, get, create] = await Promise.all([
      kv(['put', 'k', 'v', '--store', store]),
      kv(['get', 'k', '--store', store]),
      kv(['ns', 'create', 'foo', '--store', store, '--json']),
    ])
    expect(expectFailure(put, 4)).toContain(store)
    expectFailure(get, 4)
    expectFailure(create, 4, {json: true, code: 'STORAGE_FAILURE'})
  })
})
