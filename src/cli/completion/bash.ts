import type {CompletionModel} from './model.js'
import {quote, shellTables} from './shell-tables.js'

/** The bash script: `complete -F _kv_complete kv`. */
export function bashScript(model: CompletionModel): string {
  const bin = model.bin
  return `# ${bin} completion for bash, written by \`${bin} completion bash\` (${bin} ${model.version}).
# Install: ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
#      or: echo 'source <(${bin} completion bash)' >> ~/.bashrc

${shellTables(model, (offers) => `echo ${quote(offers.map(({word}) => word).join(' '))}`)}

# Namespace names from \`${bin} ns list\` (one per line when piped), in the --data-dir the line names, if any.
_${bin}_namespaces() {
  local dir= i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      --data-dir)
        dir=\${COMP_WORDS[i+1]}
        [[ $dir == = ]] && dir=\${COMP_WORDS[i+2]}
        ;;
    esac
  done
  if [[ -n $dir ]]; then
    ${bin} ns list --data-dir "\${dir/#\\~/$HOME}" 2>/dev/null
  else
    ${bin} ns list 2>/dev/null
  fi
}

_${bin}_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} id= arg=0 ended= expect= value= word i
  COMPREPLY=()
  # bash splits --flag=value at "=" (COMP_WORDBREAKS): right after the "=", the word to complete is empty.
  [[ $cur == = ]] && cur=
  # Walk the words before the cursor: the command (topic, then command), flags and their values, arguments.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -z $ended && $word == -* ]]; then
      if [[ $word == -- ]]; then
        ended=1
      elif _${bin}_flag_value "$id" "$word" >/dev/null; then
        if [[ \${COMP_WORDS[i+1]} == = ]] && ((i + 1 < COMP_CWORD)); then ((++i)); fi
        if ((i + 1 == COMP_CWORD)); then expect=$word; else ((++i)); fi
      fi
    elif [[ -z $id ]]; then
      id=$word
    elif [[ -n $(_${bin}_words "$id") ]]; then
      id=$id:$word
    else
      ((++arg))
    fi
  done
  if [[ -n $expect ]]; then
    value=$(_${bin}_flag_value "$id" "$expect")
  elif [[ -z $ended && $cur == -* ]]; then
    if [[ -z $id ]]; then value='options --help --version'; else value="options $(_${bin}_flags "$id")"; fi
  elif [[ -z $id || -n $(_${bin}_words "$id") ]]; then
    value="options $(_${bin}_words "$id")"
  else
    value=$(_${bin}_arg_value "$id" "$arg")
  fi
  case $value in
    namespace) COMPREPLY=($(compgen -W "$(_${bin}_namespaces)" -- "$cur")) ;;
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    directory) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    'options '*) COMPREPLY=($(compgen -W "\${value#options }" -- "$cur")) ;;
  esac
}

complete -F _${bin}_complete ${bin}
`
}
