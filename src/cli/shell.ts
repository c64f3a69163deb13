/** Words as a POSIX shell (bash, zsh) reads them: what kv prints for a person to paste. */

/** Quotes one word: single quotes, a quote inside written '\''. */
export function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** One word as it can be pasted: as it is when the shell leaves it alone, else quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : quote(text)
}
