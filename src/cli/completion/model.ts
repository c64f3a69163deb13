import type {Command, Interfaces} from '@oclif/core'

/**
 * What the completion scripts know about kv, taken from its command table (oclif.manifest.json) when the
 * build writes them: every command and topic with its summary, each command's flags and arguments, and
 * what their values are.
 */

/** What a flag's value or an argument is, so the shell can offer the right words. */
export type ValueKind =
  | {kind: 'namespace'}
  | {kind: 'file'}
  | {kind: 'directory'}
  | {kind: 'options'; options: readonly string[]}
  /** Anything (a key, a prefix, a number): nothing to offer. */
  | {kind: 'text'}

export interface FlagModel {
  /** `--name` */
  long: string
  /** `-c`, when the flag has one */
  short?: string
  summary: string
  /** Undefined for a flag that takes no value. */
  value?: ValueKind
}

export interface CommandModel {
  /** oclif's id: `delete`, `ns:use` */
  id: string
  summary: string
  flags: FlagModel[]
  /** The named arguments, in order. */
  args: ValueKind[]
}

export interface CompletionModel {
  bin: string
  version: string
  /** Words offered after `kv` (parent "") and after each topic (parent "ns"), with their summaries. */
  words: Map<string, Array<{word: string; summary: string}>>
  commands: CommandModel[]
}

/** Flags whose values the manifest cannot describe; other flags take their options, or any text. */
const FLAG_VALUES: Record<string, ValueKind> = {
  namespace: {kind: 'namespace'},
  'data-dir': {kind: 'directory'},
  from: {kind: 'file'},
  file: {kind: 'file'},
}

/** The same for arguments, by command id and argument name. */
const ARG_VALUES: Record<string, Record<string, ValueKind>> = {
  'ns:check': {name: {kind: 'namespace'}},
  'ns:clean': {name: {kind: 'namespace'}},
  'ns:delete': {name: {kind: 'namespace'}},
  'ns:use': {name: {kind: 'namespace'}},
  import: {file: {kind: 'file'}},
}

/** The first line of a help text, for a completion menu. */
function oneLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].trim()
}

function flagModel(name: string, flag: Command.Flag.Cached): FlagModel {
  const value = flag.type === 'boolean' ? undefined : (flag.options?.length ? {kind: 'options' as const, options: flag.options} : (FLAG_VALUES[name] ?? {kind: 'text' as const}))
  return {long: `--${name}`, short: flag.char ? `-${flag.char}` : undefined, summary: oneLine(flag.summary ?? flag.description), value}
}

function argModel(id: string, name: string, arg: Command.Arg.Cached): ValueKind {
  if (arg.options?.length) return {kind: 'options', options: arg.options}
  return ARG_VALUES[id]?.[name] ?? {kind: 'text'}
}

/** The model of every visible command in `manifest`, with `topics` (package.json's oclif.topics) for their summaries. */
export function completionModel(manifest: Interfaces.Manifest, topics: Record<string, {description?: string}>, bin: string): CompletionModel {
  const commands = Object.values(manifest.commands)
    .filter((command) => !command.hidden)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((command) => ({
      id: command.id,
      summary: oneLine(command.summary ?? command.description),
      flags: Object.entries(command.flags)
        .filter(([, flag]) => !flag.hidden)
        .map(([name, flag]) => flagModel(name, flag))
        .sort((a, b) => a.long.localeCompare(b.long)),
      args: Object.entries(command.args).map(([name, arg]) => argModel(command.id, name, arg)),
    }))
  const words = new Map<string, Array<{word: string; summary: string}>>()
  const offer = (parent: string, word: string, summary: string) => {
    const list = words.get(parent) ?? []
    if (!list.some((entry) => entry.word === word)) list.push({word, summary})
    words.set(parent, list)
  }
  for (const {id, summary} of commands) {
    const parts = id.split(':')
    // Every topic on the way to the command, then the command's own word under its topic.
    for (let depth = 0; depth < parts.length - 1; depth++) {
      const topic = parts.slice(0, depth + 1).join(':')
      offer(parts.slice(0, depth).join(':'), parts[depth], oneLine(topics[topic]?.description))
    }
    offer(parts.slice(0, -1).join(':'), parts.at(-1)!, summary)
  }
  for (const list of words.values()) list.sort((a, b) => a.word.localeCompare(b.word))
  return {bin, version: manifest.version, words, commands}
}

/** A value kind as one shell word list: `namespace`, `file`, `directory`, `text` or `options WORD...`. */
export function valueWords(value: ValueKind): string {
  return value.kind === 'options' ? ['options', ...value.options].join(' ') : value.kind
}

/** The parents of `words` that are topics (everything but the top level). */
export function topicsOf(model: CompletionModel): string[] {
  return [...model.words.keys()].filter((parent) => parent !== '')
}
