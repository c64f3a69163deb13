import {type CompletionModel, topicsOf, type ValueKind} from './model.js'

/** Quotes one word for fish: single quotes, with \\ and \' escaped. */
function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/** The options of a `complete` line that offer an argument's words (a flag's value, with -r first). */
function valueOptions(bin: string, value: ValueKind): string {
  switch (value.kind) {
    case 'namespace':
      return `-f -a '(__${bin}_namespaces)'`
    case 'file':
      return '-F'
    case 'directory':
      return `-f -a '(__fish_complete_directories (commandline -ct))'`
    case 'options':
      return `-f -a ${quote(value.options.join(' '))}`
    case 'text':
      return '-f'
  }
}

/**
 * The fish script: `complete` lines, each under a condition naming the command (`__kv_at ID`) and, for an
 * argument, its position (`__kv_at ID N`).
 */
export function fishScript(model: CompletionModel): string {
  const bin = model.bin
  const lines: string[] = []
  for (const [parent, offers] of model.words) {
    for (const {word, summary} of offers) lines.push(`complete -c ${bin} -n ${quote(`__${bin}_at '${parent}'`)} -a ${quote(word)} -d ${quote(summary)}`)
  }
  lines.push(`complete -c ${bin} -n ${quote(`__${bin}_at ''`)} -l help -d 'Show help.'`, `complete -c ${bin} -n ${quote(`__${bin}_at ''`)} -l version -d 'Show the version.'`)
  const takesValue: string[] = []
  for (const command of model.commands) {
    const at = quote(`__${bin}_at ${command.id}`)
    for (const flag of command.flags) {
      const names = `-l ${flag.long.slice(2)}${flag.short ? ` -s ${flag.short.slice(1)}` : ''}`
      lines.push(`complete -c ${bin} -n ${at} ${names}${flag.value ? ` -r ${valueOptions(bin, flag.value)}` : ''} -d ${quote(flag.summary)}`)
      if (flag.value) takesValue.push(`${command.id} ${flag.long}`, ...(flag.short ? [`${command.id} ${flag.short}`] : []))
    }
    lines.push(`complete -c ${bin} -n ${at} -l help -d 'Show help.'`)
    command.args.forEach((arg, index) => {
      if (arg.kind !== 'text') lines.push(`complete -c ${bin} -n ${quote(`__${bin}_at ${command.id} ${index}`)} ${valueOptions(bin, arg)}`)
    })
  }
  const topics = topicsOf(model)
  return `# ${bin} completion for fish, written by \`${bin} completion fish\` (${bin} ${model.version}).
# Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish

# Whether flag $argv[2] of command $argv[1] takes a value.
function __${bin}_takes_value
    contains -- "$argv[1] $argv[2]" ${takesValue.map(quote).join(' ')}
end

# Whether the line before the cursor names command $argv[1] ('' for none yet, a topic, or an id such as
# ns:use) and, with $argv[2], whether the cursor is on that command's argument number $argv[2] (from 0).
function __${bin}_at
    set -l words (commandline -opc)
    set -e words[1]
    set -l id ''
    set -l arg 0
    set -l ended 0
    set -l value 0
    for word in $words
        if test $value = 1
            set value 0
        else if test $ended = 0; and string match -q -- '-*' $word
            if test $word = --
                set ended 1
            else if __${bin}_takes_value $id $word
                set value 1
            end
        else if test -z "$id"
            set id $word
        else if contains -- $id ${topics.map(quote).join(' ')}
            set id $id:$word
        else
            set arg (math $arg + 1)
        end
    end
    test "$id" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; and return 0
    test $value = 0; and test $arg = $argv[2]
end

# Namespace names from \`${bin} ns list\` (one per line when piped), in the store and the data dir the line
# names (--store, --data-dir), if any: otherwise where KV_STORE, KV_DATA_DIR or the settings say.
function __${bin}_namespaces
    set -l words (commandline -opc)
    set -l place
    for i in (seq (count $words))
        switch $words[$i]
            case --store --data-dir
                set -q words[(math $i + 1)]; and set -a place $words[$i] (string replace -r -- '^~' $HOME $words[(math $i + 1)])
            case '--store=*' '--data-dir=*'
                set -l flag (string split -m 1 = -- $words[$i])
                set -a place $flag[1] (string replace -r -- '^~' $HOME $flag[2])
        end
    end
    ${bin} ns list $place 2>/dev/null
end

complete -c ${bin} -f
${lines.join('\n')}
`
}
