import type {Command} from '@oclif/core'

/**
 * oclif's argv parser (@oclif/core 4, lib/parser/parse.js) is quadratic in the number of words: for each
 * word it filters every token so far (`_argTokens`, to name the next positional argument), shifts the head
 * off its copy of argv, and it finally sorts the leftover words by `originalArgv.indexOf` — 20,000 keys on
 * `kv delete` cost 30 one-key starts. So a command that takes any number of words (`strict = false`, no
 * named arguments) hands oclif only the words that can be flags or flag values, and takes the others back
 * afterwards: oclif still parses, validates and reports every flag, from the one definition of each.
 *
 * A word oclif might read as a flag starts with "-"; a word it might take as a flag's value directly follows
 * one of those (`--prefix P`, `-n NS`, `-yn NS`; `--from=F` and `-nNS` carry their value inside). Any other
 * word is positional. So is every word after a "--" that does not follow a dash word: that "--" cannot be
 * a flag's value, so either it ends the flags or an earlier "--" did.
 */
export interface ArgvSplit {
  /** The words oclif parses. */
  forParser: string[]
  /** Every positional word, given what oclif found positional among its words, in argv order. */
  positionals(parsed: string[]): string[]
}

type CommandClass = Pick<typeof Command, 'args' | 'baseFlags' | 'flags' | 'strict'> & {'--'?: boolean}

/**
 * Splits `argv` for a command that takes any number of positional words; undefined when the command has
 * named arguments, a greedy multiple-value flag, or oclif's `--` handling turned off (oclif assigns words
 * differently then: such commands keep oclif's own parse).
 */
export function splitPositionals(command: CommandClass, argv: string[]): ArgvSplit | undefined {
  const flags = Object.values({...command.baseFlags, ...command.flags})
  const greedy = flags.some((flag) => flag.type === 'option' && flag.multiple && !flag.multipleNonGreedy)
  if (command.strict !== false || Object.keys(command.args ?? {}).length > 0 || greedy || command['--'] === false) return undefined
  const kept: boolean[] = []
  let end = argv.length
  for (let i = 0; i < argv.length; i++) {
    const afterDash = i > 0 && argv[i - 1].startsWith('-')
    if (argv[i] === '--' && !afterDash) end = i
    kept.push(argv[i].startsWith('-') || afterDash)
    if (end === i) break
  }
  const forParser = argv.filter((_, i) => i < end ? kept[i] : i === end)
  return {
    forParser,
    positionals(parsed) {
      // oclif returns its positional words reordered (grouped by first occurrence): count them back by value.
      const left = new Map<string, number>()
      for (const word of parsed) left.set(word, (left.get(word) ?? 0) + 1)
      const words: string[] = []
      for (const [i, word] of argv.entries()) {
        if (i < end ? !kept[i] : i > end) words.push(word)
        else if (left.get(word)) {
          left.set(word, left.get(word)! - 1)
          words.push(word)
        }
      }
      return words
    },
  }
}
