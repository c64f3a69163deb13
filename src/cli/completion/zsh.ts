import type {CompletionModel} from './model.js'
import {quote, shellTables} from './shell-tables.js'

/** A word and its summary for _describe: a colon in the word itself is written \: . */
function described(word: string, summary: string): string {
  return quote(`${word.replaceAll(':', '\\:')}:${summary}`)
}

/**
 * The zsh script: a completion function for `compdef` that also works from $fpath (as the file `_kv`),
 * with the same tables as bash's, listing each word with its summary.
 */
export function zshScript(model: CompletionModel): string {
  const bin = model.bin
  return `#compdef ${bin}
# ${bin} completion for zsh, written by \`${bin} completion zsh\` (${bin} ${model.version}).
# Install: ${bin} completion zsh > "\${fpath[1]}/_${bin}"   (then start a new shell)
#      or: echo 'source <(${bin} completion zsh)' >> ~/.zshrc   (after compinit)

${shellTables(model, (offers) => `print -rl -- ${offers.map(({word, summary}) => described(word, summary)).join(' ')}`)}

# Namespace names from \`${bin} ns list\` (one per line when piped), in the store and the data dir the line
# names (--store, --data-dir), if any: otherwise where KV_STORE, KV_DATA_DIR or the settings say.
_${bin}_namespaces() {
  local -a place
  local i
  for ((i = 2; i < CURRENT; i++)); do
    case \${words[i]} in
      --store|--data-dir) ((i + 1 < CURRENT)) && place+=("\${words[i]}" "\${\${(Q)words[i+1]}/#\\~/$HOME}") ;;
      --store=*|--data-dir=*) place+=("\${words[i]%%=*}" "\${\${(Q)words[i]#*=}/#\\~/$HOME}") ;;
    esac
  done
  ${bin} ns list "\${place[@]}" 2>/dev/null
}

_${bin}() {
  local cur=\${words[CURRENT]} id= arg=0 ended= expect= value= word i
  local -a offers
  # Walk the words before the cursor: the command (topic, then command), flags and their values, arguments.
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if [[ -z $ended && $word == -* ]]; then
      if [[ $word == -- ]]; then
        ended=1
      elif _${bin}_flag_value "$id" "$word" >/dev/null; then
        if ((i + 1 == CURRENT)); then expect=$word; else ((++i)); fi
      fi
    elif [[ -z $id ]]; then
      id=$word
    elif [[ -n $(_${bin}_words "$id") ]]; then
      id=$id:$word
    else
      ((++arg))
    fi
  done
  # --flag=value is one word in zsh: complete the part after the "=".
  if [[ -z $expect && -z $ended && $cur == -*=* ]] && _${bin}_flag_value "$id" "\${cur%%=*}" >/dev/null; then
    expect=\${cur%%=*}
    compset -P '*='
  fi
  if [[ -n $expect ]]; then
    value=$(_${bin}_flag_value "$id" "$expect")
  elif [[ -z $ended && $cur == -* ]]; then
    if [[ -z $id ]]; then
      offers=('--help:Show help.' '--version:Show the version.')
    else
      offers=(\${(f)"$(_${bin}_flags "$id")"})
    fi
    _describe -t flags 'flag' offers
    return
  elif [[ -z $id || -n $(_${bin}_words "$id") ]]; then
    offers=(\${(f)"$(_${bin}_words "$id")"})
    _describe -t commands '${bin} command' offers
    return
  else
    value=$(_${bin}_arg_value "$id" "$arg")
  fi
  case $value in
    namespace) offers=(\${(f)"$(_${bin}_namespaces)"}); compadd -a offers ;;
    file) _files ;;
    directory) _files -/ ;;
    'options '*) compadd -- \${=value#options } ;;
  esac
}

# Sourced (source <(${bin} completion zsh)): register. From $fpath, compinit registers it by the #compdef line
# and the first completion runs this file as the function _${bin}, which then completes.
if [[ $funcstack[1] == _${bin} ]]; then
  _${bin} "$@"
else
  compdef _${bin} ${bin}
fi
`
}
