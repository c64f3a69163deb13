/**
 * `kv delete KEY...` hands oclif only the words that may be flags (src/cli/argv.ts). These tests parse with
 * oclif's own parser and kv delete's own flags, once the whole argv and once split, and require the same
 * flags, the same positional words and the same errors.
 */
import {Flags, Parser} from '@oclif/core'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {splitPositionals} from '../../src/cli/argv.js'
import Delete from '../../src/commands/delete.js'
import Get from '../../src/commands/get.js'

// What Command.parse gives the parser for `kv delete` (oclif adds --json for enableJsonFlag).
const flags = {...Delete.baseFlags, ...Delete.flags, json: Flags.boolean({description: 'Format output as json.'})}

async function parse(argv: string[]): Promise<{flags: Record<string, unknown>; positionals: string[]} | {error: string}> {
  try {
    const output = await Parser.parse(argv, {flags, args: {}, strict: false})
    return {flags: output.flags, positionals: output.argv as string[]}
  } catch (error) {
    return {error: (error as Error).message}
  }
}

async function parseSplit(argv: string[]): ReturnType<typeof parse> {
  const split = splitPositionals(Delete, argv)!
  const result = await parse(split.forParser)
  return 'error' in result ? result : {flags: result.flags, positionals: split.positionals(result.positionals)}
}

async function expectSameParse(argv: string[]): Promise<void> {
  const whole = await parse(argv)
  const split = await parseSplit(argv)
  if ('error' in whole || 'error' in split) {
    expect(split).toEqual(whole)
    return
  }
  expect(split.flags).toEqual(whole.flags)
  // oclif itself groups repeated words by their first occurrence; kv keeps argv order.
  expect([...split.positionals].sort()).toEqual([...whole.positionals].sort())
  if (new Set(argv).size === argv.length) expect(split.positionals).toEqual(whole.positionals)
}

describe('splitting argv for commands with any number of positional words', () => {
  it('hands oclif only dash words and the words after them, up to a "--" that follows no dash word', () => {
    const split = splitPositionals(Delete, ['a', 'b', '-n', 'ns', 'c', '--json', 'd', 'e', '--', '-x', '--', 'f'])!
    expect(split.forParser).toEqual(['-n', 'ns', '--json', 'd', '--'])
    expect(split.positionals(['d'])).toEqual(['a', 'b', 'c', 'd', 'e', '-x', '--', 'f'])
    // A "--" after a dash word may be that flag's value: oclif decides, and parses on after it.
    expect(splitPositionals(Delete, ['--prefix', '--', 'a', 'b', '-y'])!.forParser).toEqual(['--prefix', '--', 'a', '-y'])
  })

  it('leaves commands with named arguments to oclif', () => {
    expect(splitPositionals(Get, ['key'])).toBeUndefined()
  })

  it('gives 20,000 keys back in order', () => {
    const keys = Array.from({length: 20_000}, (_, i) => `key:${i}`)
    const split = splitPositionals(Delete, [...keys, '--json'])!
    expect(split.forParser).toEqual(['--json'])
    expect(split.positionals([])).toEqual(keys)
  })

  const cases: string[][] = [
    ['a', 'b'],
    ['--', '-k', '--long'],
    ['a', '--bogus'],
    ['a', '-x', '--json'],
    ['--prefix', '--', 'a'],
    ['--prefix', 'p', 'a'],
    ['--from', 'f', '--prefix', 'p'],
    ['-yn', 'ns', 'a', '-5'],
    ['-nfoo', 'a', '--namespace=bar', 'b'],
    ['a', '--', '--json', '--', 'b'],
    ['--yes', '--', 'a', '--', '-b'],
    ['--prefix'],
    ['-', 'a', '-n'],
  ]
  for (const argv of cases) {
    it(`parses ${JSON.stringify(argv)} as oclif does`, async () => {
      await expectSameParse(argv)
    })
  }

  it('property: any argv parses as oclif parses it whole (flags, errors, positional words in order)', async () => {
    const word = fc.oneof(
      fc.constantFrom('--', '-', '-n', '--namespace', '--data-dir', '--prefix', '--from', '--from=f', '--prefix=', '-y', '--yes', '--json'),
      fc.constantFrom('--no-json', '-yn', '-ny', '-nfoo', '--bogus', '-x', '-5', '=', 'a', 'b', 'a=b', 'key:1', 'ns'),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(word, {maxLength: 12}), expectSameParse),
      {numRuns: Number(process.env.FC_RUNS ?? 2000), seed: Number(process.env.FC_SEED ?? 20_261_201)},
    )
  })
})
