/**
 * oclif's parse errors in kv's words: one line naming the problem, the way kv's own errors do, instead of
 * oclif's several ("Missing 1 required arg:\nkey  Key to write…\nSee more help with --help", "The following error
 * occurred:\n  --prefix=b cannot also be provided when using --from"). Known by their fields and wording (the
 * bundle may rename classes); anything else keeps oclif's message.
 */

interface ParseError extends Error {
  /** RequiredArgsError: the arguments' definitions; UnexpectedArgsError: the extra words. */
  args?: readonly ({name?: string; description?: string; options?: readonly string[]} | string)[]
  /** NonExistentFlagsError: the flags as typed. */
  flags?: readonly string[]
  parse?: {input?: {context?: {id?: string}}}
}

export function usageMessage(error: ParseError, bin: string): string {
  const id = error.parse?.input?.context?.id
  const help = id === undefined ? '' : `; see ${bin} ${id.split(':').join(' ')} --help`
  const text = error.message.replace(/\nSee more help with --help$/, '')
  if (text.startsWith('Missing ') && Array.isArray(error.args)) {
    const missing = error.args.filter((arg) => typeof arg === 'object').map((arg) => describeArgument(arg))
    return `missing ${missing.length === 1 ? 'argument' : 'arguments'} ${missing.join('; ')}${help}`
  }
  if (text.startsWith('Unexpected argument') && Array.isArray(error.args)) {
    const extra = error.args.map((word) => JSON.stringify(word))
    return `unexpected ${extra.length === 1 ? 'argument' : 'arguments'} ${extra.join(', ')}${help}`
  }
  if (text.startsWith('Nonexistent flag') && Array.isArray(error.flags)) {
    return `unknown ${error.flags.length === 1 ? 'flag' : 'flags'} ${error.flags.join(', ')}${help}`
  }
  const needsValue = /^Flag (--\S+) expects a value$/.exec(text)
  if (needsValue) return `${needsValue[1]} needs a value${help}`
  const choice = /^Expected (--[^=\s]+)=(.*) to be one of: (.*)$/s.exec(text) ?? /^Expected ()(.*) to be one of: (.*)$/s.exec(text)
  if (choice) return `${choice[1] ? `${choice[1]}: ` : ''}${JSON.stringify(choice[2])} is not one of ${choice[3]}${help}`
  const failed = /^The following errors? occurred:\n([\s\S]*)$/.exec(text)
  if (failed) return failed[1].split('\n').map((reason) => flagConflict(stripColour(reason).trim())).filter(Boolean).join('; ') + help
  return text
}

/** `KEY: key to write (1 to 512 bytes of UTF-8)`, from the argument's definition. */
function describeArgument({name = '', description, options}: {name?: string; description?: string; options?: readonly string[]}): string {
  const what = (description ?? '').replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (letter) => letter.toLowerCase())
  const choices = options === undefined ? '' : ` (${options.join(', ')})`
  return `${name.toUpperCase()}${what ? `: ${what}` : ''}${choices}`
}

/** oclif's "--prefix=b cannot also be provided when using --from" as "--from and --prefix cannot be used together". */
function flagConflict(reason: string): string {
  const exclusive = /^(--[^=\s]+)(?:=.*)? cannot also be provided when using (--\S+)$/.exec(reason)
  return exclusive ? `${exclusive[2]} and ${exclusive[1]} cannot be used together` : reason
}

/** oclif dims the reasons with ANSI colour codes when stderr is a terminal. */
function stripColour(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '')
}
