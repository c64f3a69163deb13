// What the bash and zsh scripts share: quoting, and the tables their completion functions read.
import {quote} from '../shell.js'
import {type CompletionModel, valueWords} from './model.js'

export {quote}

const HELP: Offer = {word: '--help', summary: 'Show help.'}

/** `case` branches: one per entry, the patterns joined with |. */
export function caseBranches(entries: Array<[patterns: string[], body: string]>, indent = '    '): string {
  return entries.map(([patterns, body]) => `${indent}${patterns.map(quote).join('|')}) ${body} ;;`).join('\n')
}

export interface Offer {
  word: string
  summary: string
}

/**
 * The tables bash and zsh share: the words after kv or a topic, each command's flags, what each flag's value
 * is, and what each argument is. `list` writes the statement that prints a list of words (with or without
 * their summaries).
 */
export function shellTables(model: CompletionModel, list: (offers: Offer[]) => string): string {
  const flagValues: Array<[string[], string]> = []
  const argValues: Array<[string[], string]> = []
  for (const command of model.commands) {
    for (const flag of command.flags) {
      if (!flag.value) continue
      const names = flag.short ? [flag.long, flag.short] : [flag.long]
      flagValues.push([names.map((name) => `${command.id} ${name}`), `echo ${quote(valueWords(flag.value))}`])
    }
    command.args.forEach((arg, index) => {
      if (arg.kind !== 'text') argValues.push([[`${command.id} ${index}`], `echo ${quote(valueWords(arg))}`])
    })
  }
  const flagLists: Array<[string[], string]> = model.commands.map((command) => {
    const flags = command.flags.flatMap(({long, short, summary}) => [{word: long, summary}, ...(short ? [{word: short, summary}] : [])])
    return [[command.id], list([...flags, HELP])]
  })
  return `# The words after ${model.bin} (""), or after a topic: commands and topics.
_${model.bin}_words() {
  case $1 in
${caseBranches([...model.words].map(([parent, offers]) => [[parent], list(offers)]))}
  esac
}

# The flags of command $1 (an id such as ns:use).
_${model.bin}_flags() {
  case $1 in
${caseBranches(flagLists)}
    *) ${list([HELP])} ;;
  esac
}

# What the value of flag $2 of command $1 is: namespace, file, directory, text or "options WORD...".
# Fails for a flag that takes no value.
_${model.bin}_flag_value() {
  case "$1 $2" in
${caseBranches(flagValues)}
    *) return 1 ;;
  esac
}

# What argument $2 (counted from 0) of command $1 is; nothing when any word will do.
_${model.bin}_arg_value() {
  case "$1 $2" in
${caseBranches(argValues)}
  esac
}`
}
