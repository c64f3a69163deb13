/**
 * `kv completion SHELL`, tried in the real shells: bash runs the completion function with COMP_WORDS set as
 * bash sets them; fish answers with its own completion engine (`complete -C`); zsh completes in an
 * interactive shell in tmux. The scripts call `kv`, so `kv` is a program on PATH here (a wrapper that runs
 * the built CLI), and they ask it for namespace names.
 */
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {createNamespace} from '../../src/index.js'
import {childEnv, collect, KV_BIN, kvSandbox, tempDir} from '../helpers.js'
import {expectFailure} from './cli-assert.js'
import {TmuxSession} from './tmux.js'

interface CachedCommand {
  id: string
  hidden?: boolean
  flags: Record<string, {char?: string; hidden?: boolean}>
}

const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, CachedCommand>}
const commands = Object.values(manifest.commands).filter((command) => !command.hidden)

/** What the command table says the words after `kv`, or after a topic, are. */
function wordsAfter(parent: string): string[] {
  const depth = parent === '' ? 0 : parent.split(':').length
  const words = commands.filter(({id}) => parent === '' || id.startsWith(`${parent}:`)).map(({id}) => id.split(':')[depth])
  return [...new Set(words)].sort()
}

/** What the command table says a command's flags are, with --help. */
function flagsOf(command: CachedCommand): string[] {
  const flags = Object.entries(command.flags).filter(([, flag]) => !flag.hidden)
  return [...flags.flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])]), '--help'].sort()
}

/** A sandbox with namespaces alpha and beta, gamma in another data dir, and `kv` on PATH. */
async function completionSandbox() {
  const sandbox = kvSandbox()
  const bin = tempDir('kv-bin-')
  writeFileSync(join(bin, 'kv'), `#!/bin/sh\nexec '${process.execPath}' '${KV_BIN}' "$@"\n`)
  chmodSync(join(bin, 'kv'), 0o755)
  const otherDataDir = tempDir('kv-other-')
  await createNamespace('alpha', {dataDir: sandbox.dataDir})
  await createNamespace('beta', {dataDir: sandbox.dataDir})
  await createNamespace('gamma', {dataDir: otherDataDir})
  const home = tempDir('kv-home-')
  const env = {PATH: `${bin}:${process.env.PATH}`, HOME: home, KV_DATA_DIR: sandbox.dataDir, XDG_CONFIG_HOME: sandbox.configDir, XDG_DATA_HOME: join(home, 'data')}
  return {...sandbox, env, home, otherDataDir}
}

describe('kv completion', () => {
  it('prints a script for bash, zsh and fish', async () => {
    const {kv} = kvSandbox()
    const results = await Promise.all(['bash', 'zsh', 'fish'].map((shell) => kv(['completion', shell])))
    for (const [index, shell] of ['bash', 'zsh', 'fish'].entries()) {
      expect({code: results[index].code, stderr: results[index].stderr}).toEqual({code: 0, stderr: ''})
      expect(results[index].text).toMatch(new RegExp(`^(#compdef kv\\n)?# kv completion for ${shell}`))
    }
  })

  it('an unknown or missing shell is a usage error: one line, exit 2', async () => {
    const {kv} = kvSandbox()
    const [unknown, missing, json] = await Promise.all([kv(['completion', 'powershell']), kv(['completion']), kv(['completion', 'csh', '--json'])])
    expect(expectFailure(unknown, 2)).toMatch(/powershell.*bash, zsh, fish/)
    expectFailure(missing, 2)
    expectFailure(json, 2)
  })

  it('no completion code is in the bundle other commands start from', () => {
    const bundle = readFileSync(resolve(KV_BIN, '..', '..', 'dist', 'kv.cjs'), 'utf8')
    for (const marker of ['complete -F', 'compdef', '__kv_at', 'completionModel']) expect(bundle).not.toContain(marker)
  })

  it('the zsh and fish scripts parse (zsh -n, fish -n)', async () => {
    const {kv} = kvSandbox()
    const dir = tempDir()
    for (const shell of ['zsh', 'fish']) {
      const file = join(dir, `kv.${shell}`)
      writeFileSync(file, (await kv(['completion', shell])).stdout)
      const parsed = await collect(shell, ['-n', file], childEnv())
      expect({code: parsed.code, stderr: parsed.stderr}).toEqual({code: 0, stderr: ''})
    }
  })
})

/** Separates one completion's words (or output) from the next. */
const NEXT = '\u0001'

/** Splits the output of several completions at NEXT lines. */
function answers(text: string): string[][] {
  const out: string[][] = [[]]
  for (const line of text.split('\n')) {
    if (line === NEXT) out.push([])
    else if (line !== '') out.at(-1)!.push(line)
  }
  return out.slice(0, -1)
}

describe('kv completion bash, in bash', () => {
  let sandbox: Awaited<ReturnType<typeof completionSandbox>>
  beforeEach(async () => {
    sandbox = await completionSandbox()
  })

  /** What bash offers for each list of words (the last word is the one being completed), in one bash. */
  async function complete(cases: string[][]): Promise<string[][]> {
    const script = `source <(kv completion bash) || exit 9
words=()
for word in "$@"; do
  if [[ $word == $'\\x01' ]]; then
    COMP_WORDS=("\${words[@]}"); COMP_CWORD=$((\${#words[@]} - 1)); words=()
    _kv_complete
    printf '%s\\n' "\${COMPREPLY[@]}" $'\\x01'
  else
    words+=("$word")
  fi
done`
    const args = cases.flatMap((words) => [...words, NEXT])
    const result = await collect('bash', ['--norc', '-c', script, 'bash', ...args], childEnv(sandbox.env))
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    return answers(result.text)
  }

  /** Every case completes to its expected words (in any order when `sorted`). */
  async function expectCompletions(cases: Array<[string[], string[]]>, {sorted = false} = {}): Promise<void> {
    const got = await complete(cases.map(([words]) => ['kv', ...words]))
    const shown = got.map((words, index) => [cases[index][0].join(' '), sorted ? [...words].sort() : words])
    expect(shown).toEqual(cases.map(([words, expected]) => [words.join(' '), sorted ? [...expected].sort() : expected]))
  }

  it('completes command names, the ns topic and its commands, from the command table', async () => {
    await expectCompletions([
      [[''], wordsAfter('')],
      [['i'], ['import', 'incr']],
      [['ns', ''], wordsAfter('ns')],
      [['ns', 'c'], ['check', 'clean', 'create']],
      [['-'], ['--help', '--version']],
    ])
  })

  it('completes the flags of every command, and the options of a flag', async () => {
    await expectCompletions(commands.map((command) => [[...command.id.split(':'), '-'], flagsOf(command)]), {sorted: true})
    await expectCompletions([
      [['delete', 'some-key', '--p'], ['--prefix']],
      [['export', '--format', ''], ['ndjson', 'json']],
      [['completion', ''], ['bash', 'zsh', 'fish']],
    ])
  })

  it('completes namespace names after -n/--namespace and for ns use|delete|clean|check NAME', async () => {
    const both = ['alpha', 'beta']
    await expectCompletions([
      [['get', '-n', ''], both],
      [['put', 'key', '--namespace', ''], both],
      [['ns', 'use', ''], both],
      [['ns', 'delete', '--yes', ''], both],
      [['ns', 'clean', ''], both],
      [['ns', 'check', ''], both],
      // A flag's value is not the argument.
      [['ns', 'use', '-n', 'beta', ''], both],
      [['ns', 'use', 'a'], ['alpha']],
      // bash splits --namespace=b at the "=".
      [['list', '--namespace', '=', ''], both],
      [['list', '--namespace', '=', 'b'], ['beta']],
      // In the data dir the line names.
      [['get', '--data-dir', sandbox.otherDataDir, '-n', ''], ['gamma']],
      [['get', '--data-dir', '=', sandbox.otherDataDir, '-n', ''], ['gamma']],
    ])
  })

  it('offers nothing where any word will do, and no flag after --', async () => {
    await expectCompletions([
      [['ns', 'use', 'alpha', ''], []],
      [['ns', 'create', ''], []],
      [['get', ''], []],
      [['delete', '--', '-'], []],
      [['put', 'key', '--expires-in', ''], []],
    ])
  })

  it('completes file names and directories where a flag or argument is one', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'records.ndjson'), '')
    mkdirSync(join(dir, 'data'))
    await expectCompletions([
      [['import', join(dir, 'rec')], [join(dir, 'records.ndjson')]],
      [['put', 'key', '-f', join(dir, 'rec')], [join(dir, 'records.ndjson')]],
      [['list', '--data-dir', `${dir}/`], [join(dir, 'data')]],
    ])
  })
})

describe('kv completion fish, in fish', () => {
  it('completes commands, flags, namespace names and arguments through fish itself', async () => {
    const sandbox = await completionSandbox()
    const lines: Array<[string, string[]]> = [
      ['kv ', wordsAfter('')],
      ['kv ns ', wordsAfter('ns')],
      ...commands.map((command): [string, string[]] => [`kv ${command.id.split(':').join(' ')} -`, flagsOf(command)]),
      ...['kv get -n ', 'kv ns use ', 'kv ns delete --yes ', 'kv ns clean ', 'kv ns use -n beta '].map((line): [string, string[]] => [line, ['alpha', 'beta']]),
      ['kv list --namespace=b', ['--namespace=beta']],
      [`kv get --data-dir ${sandbox.otherDataDir} -n `, ['gamma']],
      ['kv ns use alpha ', []],
      ['kv export --format ', ['json', 'ndjson']],
      ['kv completion ', ['bash', 'fish', 'zsh']],
    ]
    const script = `kv completion fish | source; or exit 9; for line in $argv; complete -C $line; printf '\\x01\\n'; end`
    const result = await collect('fish', ['--no-config', '-c', script, ...lines.map(([line]) => line)], childEnv(sandbox.env))
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    // fish prints each candidate with its description after a tab.
    const got = answers(result.text).map((words) => words.map((word) => word.split('\t')[0]).sort())
    expect(got.map((words, index) => [lines[index][0], words])).toEqual(lines.map(([line, expected]) => [line, [...expected].sort()]))
  })
})

describe('kv completion zsh, in an interactive zsh', () => {
  /** An interactive zsh in tmux with `rc` as its .zshrc; the script is also in $ZDOTDIR/functions/_kv. */
  async function zsh(rc: string) {
    const sandbox = await completionSandbox()
    const zdotdir = tempDir('kv-zdot-')
    mkdirSync(join(zdotdir, 'functions'))
    writeFileSync(join(zdotdir, 'functions', '_kv'), (await sandbox.kv(['completion', 'zsh'])).stdout)
    writeFileSync(join(zdotdir, '.zshrc'), `PS1='%% '\n${rc}\n`)
    const session = TmuxSession.run(['zsh', '-i'], {...sandbox.env, ZDOTDIR: zdotdir})
    await session.waitFor('%')
    return {session, sandbox}
  }

  it('sourced after compinit: commands with their summaries, flags, namespace names', async () => {
    const {session, sandbox} = await zsh('autoload -U compinit && compinit -u -D\nsource <(kv completion zsh)')
    session.type('kv ')
    session.keys('Tab')
    await session.waitFor(/ns\s+-- Create and manage namespaces\./)
    session.keys('C-u')
    session.type('kv ns use ')
    session.keys('Tab')
    await session.waitFor(/^alpha\s+beta\s*$/m)
    session.keys('C-u')
    session.type(`kv get --data-dir ${sandbox.otherDataDir} --namespace=`)
    session.keys('Tab')
    await session.waitFor('--namespace=gamma')
    session.keys('C-u')
    session.type('kv delete --pr')
    session.keys('Tab')
    await session.waitFor('kv delete --prefix')
  })

  it('installed as _kv in $fpath', async () => {
    const {session} = await zsh('fpath=("$ZDOTDIR/functions" $fpath)\nautoload -U compinit && compinit -u -D')
    session.type('kv ns delete ')
    session.keys('Tab')
    await session.waitFor(/^alpha\s+beta\s*$/m)
  })
})
