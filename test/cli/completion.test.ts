/**
 * `kv completion SHELL`, tried in the real shells: bash runs the completion function with COMP_WORDS set as
 * bash sets them; fish answers with its own completion engine (`complete -C`); zsh completes in an
 * interactive shell in tmux. The scripts call `kv`, so `kv` is a program on PATH here (a wrapper that runs
 * the built CLI), and they ask it for namespace names.
 */
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join, resolve} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {createNamespace, type LocationOptions} from '../../src/index.js'
import {childEnv, collect, KV_BIN, kvSandbox, tempDir} from '../helpers.js'
import {freshLocation, TEST_STORE} from '../store-under-test.js'
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

/** The flag and value that name a place on a command line: its data dir locally, its URL on Redis. */
function placeFlag(location: LocationOptions & {dataDir: string}): [flag: string, value: string] {
  return typeof location.store === 'string' ? ['--store', location.store] : ['--data-dir', location.dataDir]
}

/** A Redis URL nothing answers at (a local port that was free a moment ago). */
async function deadStore(): Promise<string> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const {port} = server.address() as {port: number}
  await new Promise((done) => server.close(done))
  return `redis://127.0.0.1:${port}`
}

/**
 * A sandbox on the store under test with namespaces alpha and beta, gamma in another place on the same store,
 * and `kv` on PATH. `other` names that place on a command line: a URL with ":", "=" and "?" on Redis, and on
 * LMDB a data dir with ":" and "=" in its name, which bash splits the same way. `store` is the sandbox's own
 * store as --store takes it ("local" on LMDB).
 */
async function completionSandbox() {
  const sandbox = kvSandbox()
  const bin = tempDir('kv-bin-')
  writeFileSync(join(bin, 'kv'), `#!/bin/sh\nexec '${process.execPath}' '${KV_BIN}' "$@"\n`)
  chmodSync(join(bin, 'kv'), 0o755)
  const fresh = freshLocation()
  const otherLocation = TEST_STORE === 'lmdb' ? {dataDir: join(fresh.dataDir, 'place:1=x')} : fresh
  await createNamespace('alpha', sandbox.location)
  await createNamespace('beta', sandbox.location)
  await createNamespace('gamma', otherLocation)
  const home = tempDir('kv-home-')
  const env = {...sandbox.env, PATH: `${bin}:${process.env.PATH}`, HOME: home, XDG_DATA_HOME: join(home, 'data')}
  const store = typeof sandbox.location.store === 'string' ? sandbox.location.store : 'local'
  return {...sandbox, env, home, other: placeFlag(otherLocation), store}
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

/**
 * The words bash hands a completion function for `line` (the cursor at its end), as bash 5 splits them: at
 * blanks and, outside quotes, around each run of COMP_WORDBREAKS characters other than quotes (><=;|&(:), so
 * `--store=redis://h:1` is --store = redis : //h : 1. A blank at the end starts an empty word.
 */
function bashWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote = ''
  let inBreaks = false
  const end = () => {
    if (word !== '') words.push(word)
    word = ''
  }
  for (const char of line) {
    if (quote !== '') {
      word += char
      if (char === quote) quote = ''
      continue
    }
    if (char === ' ' || char === '\t') {
      end()
      inBreaks = false
      continue
    }
    const isBreak = '><=;|&(:'.includes(char)
    if (isBreak !== inBreaks) end()
    inBreaks = isBreak
    if (char === '"' || char === "'") quote = char
    word += char
  }
  end()
  if (line === '' || /[ \t]$/.test(line)) words.push('')
  return words
}

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

  /**
   * What bash offers for each command line (completed at its end), in one bash: COMP_LINE, COMP_POINT,
   * COMP_WORDS and COMP_CWORD set as bash sets them (bashWords).
   */
  async function complete(lines: string[], env: Record<string, string> = sandbox.env): Promise<string[][]> {
    const script = `source <(kv completion bash) || exit 9
line= words=()
for word in "$@"; do
  if [[ -z $line ]]; then
    line=$word
  elif [[ $word == $'\\x01' ]]; then
    COMP_LINE=$line; COMP_POINT=\${#line}; COMP_WORDS=("\${words[@]}"); COMP_CWORD=$((\${#words[@]} - 1)); line= words=()
    _kv_complete
    printf '%s\\n' "\${COMPREPLY[@]}" $'\\x01'
  else
    words+=("$word")
  fi
done`
    const args = lines.flatMap((line) => [line, ...bashWords(line), NEXT])
    const result = await collect('bash', ['--norc', '-c', script, 'bash', ...args], childEnv(env))
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    return answers(result.text)
  }

  /** Every case (a line after "kv ") completes to its expected words (in any order when `sorted`). */
  async function expectCompletions(cases: Array<[string, string[]]>, {sorted = false, env = sandbox.env} = {}): Promise<void> {
    const got = await complete(cases.map(([line]) => `kv ${line}`), env)
    const shown = got.map((words, index) => [cases[index][0], sorted ? [...words].sort() : words])
    expect(shown).toEqual(cases.map(([line, expected]) => [line, sorted ? [...expected].sort() : expected]))
  }

  it('completes command names, the ns topic and its commands, from the command table', async () => {
    await expectCompletions([
      ['', wordsAfter('')],
      ['i', ['import', 'incr']],
      ['ns ', wordsAfter('ns')],
      ['ns c', ['check', 'clean', 'create']],
      ['-', ['--help', '--version']],
    ])
  })

  it('completes the flags of every command, and the options of a flag', async () => {
    await expectCompletions(commands.map((command) => [`${command.id.split(':').join(' ')} -`, flagsOf(command)]), {sorted: true})
    await expectCompletions([
      ['delete some-key --p', ['--prefix']],
      ['delete user:1 --p', ['--prefix']],
      ['export --format ', ['ndjson', 'json']],
      ['completion ', ['bash', 'zsh', 'fish']],
    ])
  })

  it('completes namespace names after -n/--namespace and for ns use|delete|clean|check NAME', async () => {
    const both = ['alpha', 'beta']
    const [flag, other] = sandbox.other
    await expectCompletions([
      ['get -n ', both],
      ['put key --namespace ', both],
      ['ns use ', both],
      ['ns delete --yes ', both],
      ['ns clean ', both],
      ['ns check ', both],
      // A flag's value is not the argument, even one bash splits into several words.
      ['ns use -n beta ', both],
      [`ns use ${flag} ${other} `, ['gamma']],
      ['ns use a', ['alpha']],
      // bash splits --namespace=b at the "=".
      ['list --namespace=', both],
      ['list --namespace=b', ['beta']],
      // In the place the line names (bash splits a URL, or this data dir, at ":" and "="), quoted or not.
      [`get ${flag} ${other} -n `, ['gamma']],
      [`get ${flag}=${other} -n `, ['gamma']],
      [`get ${flag} '${other}' -n `, ['gamma']],
      [`get ${flag} "${other}" --namespace=g`, ['gamma']],
      // Within a word bash split, there is nothing to offer.
      [`ns use ${flag} ${other}`, []],
    ])
  })

  it('passes --store on the line to kv ns list: it wins over KV_STORE', async () => {
    // KV_STORE names a server that does not answer: only the store on the line lists the namespaces.
    const env = {...sandbox.env, KV_STORE: await deadStore()}
    await expectCompletions(
      [
        ['get -n ', []],
        [`get --store ${sandbox.store} -n `, ['alpha', 'beta']],
        [`ns use --store=${sandbox.store} `, ['alpha', 'beta']],
      ],
      {env},
    )
  })

  it('offers nothing where any word will do, and no flag after --', async () => {
    await expectCompletions([
      ['ns use alpha ', []],
      ['ns create ', []],
      ['get ', []],
      ['delete -- -', []],
      ['put key --expires-in ', []],
      ['put key --store ', []],
    ])
  })

  it('in an interactive bash, which splits the line itself: namespace names in the place the line names', async () => {
    const [flag, other] = sandbox.other
    const session = TmuxSession.run(['bash', '--norc', '--noprofile', '-i'], {...sandbox.env, PS1: '$ '})
    await session.waitFor('$ ')
    session.type('source <(kv completion bash)')
    session.keys('Enter')
    session.type(`kv get ${flag} ${other} -n `)
    session.keys('Tab')
    await session.waitFor(`${other} -n gamma`)
    session.keys('C-u')
    session.type(`kv ns use ${flag}=${other} g`)
    session.keys('Tab')
    await session.waitFor(`=${other} gamma`)
  })

  it('completes file names and directories where a flag or argument is one', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'records.ndjson'), '')
    mkdirSync(join(dir, 'data'))
    await expectCompletions([
      [`import ${join(dir, 'rec')}`, [join(dir, 'records.ndjson')]],
      [`put key -f ${join(dir, 'rec')}`, [join(dir, 'records.ndjson')]],
      [`list --data-dir ${dir}/`, [join(dir, 'data')]],
    ])
  })
})

describe('kv completion fish, in fish', () => {
  /** Each line completes, through fish's own `complete -C`, to its expected words (in any order). */
  async function expectFishCompletions(lines: Array<[string, string[]]>, env: Record<string, string>): Promise<void> {
    const script = `kv completion fish | source; or exit 9; for line in $argv; complete -C $line; printf '\\x01\\n'; end`
    const result = await collect('fish', ['--no-config', '-c', script, ...lines.map(([line]) => line)], childEnv(env))
    expect({code: result.code, stderr: result.stderr}).toEqual({code: 0, stderr: ''})
    // fish prints each candidate with its description after a tab.
    const got = answers(result.text).map((words) => words.map((word) => word.split('\t')[0]).sort())
    expect(got.map((words, index) => [lines[index][0], words])).toEqual(lines.map(([line, expected]) => [line, [...expected].sort()]))
  }

  it('completes commands, flags, namespace names and arguments through fish itself', async () => {
    const sandbox = await completionSandbox()
    const [flag, other] = sandbox.other
    const lines: Array<[string, string[]]> = [
      ['kv ', wordsAfter('')],
      ['kv ns ', wordsAfter('ns')],
      ...commands.map((command): [string, string[]] => [`kv ${command.id.split(':').join(' ')} -`, flagsOf(command)]),
      ...['kv get -n ', 'kv ns use ', 'kv ns delete --yes ', 'kv ns clean ', 'kv ns use -n beta '].map((line): [string, string[]] => [line, ['alpha', 'beta']]),
      ['kv list --namespace=b', ['--namespace=beta']],
      // In the place the line names, quoted or not.
      [`kv get ${flag} ${other} -n `, ['gamma']],
      [`kv get ${flag}=${other} -n `, ['gamma']],
      [`kv ns use ${flag} '${other}' `, ['gamma']],
      ['kv ns use alpha ', []],
      ['kv export --format ', ['json', 'ndjson']],
      ['kv completion ', ['bash', 'fish', 'zsh']],
    ]
    await expectFishCompletions(lines, sandbox.env)
  })

  it('passes --store on the line to kv ns list: it wins over KV_STORE', async () => {
    const sandbox = await completionSandbox()
    // KV_STORE names a server that does not answer: only the store on the line lists the namespaces.
    const env = {...sandbox.env, KV_STORE: await deadStore()}
    await expectFishCompletions(
      [
        ['kv get -n ', []],
        [`kv get --store ${sandbox.store} -n `, ['alpha', 'beta']],
        [`kv ns use --store=${sandbox.store} `, ['alpha', 'beta']],
      ],
      env,
    )
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
    // In the place the line names (a URL has "?" in it: quoted, as one would type it).
    const [flag, other] = sandbox.other
    session.type(`kv get ${flag} '${other}' --namespace=`)
    session.keys('Tab')
    await session.waitFor('--namespace=gamma')
    session.keys('C-u')
    session.type(`kv ns use ${flag}=${other} `)
    session.keys('Tab')
    await session.waitFor(`=${other} gamma`)
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
