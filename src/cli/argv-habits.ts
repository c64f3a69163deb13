/**
 * What users type out of habit from other CLIs, rewritten into what oclif reads (main.ts runs this before
 * anything else, and only when argv starts with a flag or "help": other starts pay nothing):
 * - global flags before the command, as git, docker and kubectl take them: `kv -n flags get beta`,
 *   `kv --store local get x` run `kv get -n flags beta`, `kv get --store local x`;
 * - `kv help [COMMAND...]` runs `kv COMMAND... --help`.
 */

/** How a flag is written on the command line: its long name, its one-letter form, whether it takes a value. */
export interface FlagSpelling {
  name: string
  char?: string
  takesValue: boolean
}

/** Whether `rewriteHabits` has anything to do with `argv`: a cheap test for every start. */
export function mayNeedRewrite(argv: readonly string[]): boolean {
  return argv.length > 0 && (argv[0] === 'help' || (argv[0].startsWith('-') && argv[0] !== '--'))
}

export function rewriteHabits(argv: readonly string[], commandIds: readonly string[], globalFlags: readonly FlagSpelling[]): string[] {
  if (argv[0] === 'help') return [...argv.slice(1), '--help']
  const moved: string[] = []
  let i = 0
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '--') {
    const spelled = spelling(argv[i], globalFlags)
    // --help, --version, a mistyped flag: oclif says what it says of them.
    if (spelled === undefined) return [...argv]
    moved.push(argv[i++])
    if (spelled.needsNext) {
      if (i === argv.length) return [...argv]
      moved.push(argv[i++])
    }
  }
  const rest = argv.slice(i)
  if (moved.length === 0 || rest.length === 0 || rest[0].startsWith('-')) return [...argv]
  const words = commandWords(rest, commandIds)
  return [...rest.slice(0, words), ...moved, ...rest.slice(words)]
}

/** How `word` spells one of `flags`, and whether its value is the next word; undefined when it is none of them. */
function spelling(word: string, flags: readonly FlagSpelling[]): {needsNext: boolean} | undefined {
  for (const flag of flags) {
    if (word === `--${flag.name}` || (flag.char !== undefined && word === `-${flag.char}`)) return {needsNext: flag.takesValue}
    const inline = word.startsWith(`--${flag.name}=`) || (flag.char !== undefined && word.length > 2 && word.startsWith(`-${flag.char}`))
    if (inline && flag.takesValue) return {needsNext: false}
  }
  return undefined
}

/**
 * How many of the leading words name the command: oclif's ids join topic and command with ":" ("ns:list"), so
 * a word is part of it while the words so far are a topic. A mistyped command keeps its words together too
 * (`kv -n x ns lst` is reported as `kv ns lst`).
 */
function commandWords(words: readonly string[], commandIds: readonly string[]): number {
  let count = 1
  while (count < words.length && !words[count].startsWith('-')) {
    const topic = `${words.slice(0, count).join(':')}:`
    if (!commandIds.some((id) => id.startsWith(topic))) break
    count++
  }
  return count
}
