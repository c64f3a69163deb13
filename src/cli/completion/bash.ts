import type {CompletionModel} from './model.js'
import {quote, shellTables} from './shell-tables.js'

/** The bash script: `complete -F _kv_complete kv`. */
export function bashScript(model: CompletionModel): string {
  const bin = model.bin
  return `# ${bin} completion for bash, written by \`${bin} completion bash\` (${bin} ${model.version}).
# Install: ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
#      or: echo 'source <(${bin} completion bash)' >> ~/.bashrc

${shellTables(model, (offers) => `echo ${quote(offers.map(({word}) => word).join(' '))}`)}

# Which words bash split off at a COMP_WORDBREAKS character rather than at a blank: a store URL
# (redis://h:6379?prefix=a:) is several words, so are --namespace=b and a data dir with ":" or "=" in it.
# Word i is glued (_${bin}_glued[i] set) when it follows word i-1 on the line with nothing between them.
_${bin}_glue() {
  local rest=$COMP_LINE blanks i
  _${bin}_glued=()
  for ((i = 0; i < \${#COMP_WORDS[@]}; i++)); do
    blanks=\${rest%%[![:blank:]]*}
    ((i > 0)) && [[ -z $blanks ]] && _${bin}_glued[i]=1
    rest=\${rest#"$blanks"}
    rest=\${rest#"\${COMP_WORDS[i]}"}
  done
}

# Word $1 with the words glued to it, up to the cursor, as the shell would pass it: without the quotes
# around it, a leading ~ expanded.
_${bin}_joined() {
  local i=$1 word=\${COMP_WORDS[$1]}
  while ((i + 1 < COMP_CWORD)) && [[ -n \${_${bin}_glued[i+1]} ]]; do word+=\${COMP_WORDS[++i]}; done
  if [[ $word == \\"*\\" || $word == \\'*\\' ]]; then word=\${word:1:\${#word}-2}; fi
  printf '%s' "\${word/#\\~/$HOME}"
}

# Namespace names from \`${bin} ns list\` (one per line when piped), in the store and the data dir the line
# names (--store, --data-dir), if any: otherwise where KV_STORE, KV_DATA_DIR or the settings say.
_${bin}_namespaces() {
  local -a place=()
  local i j
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ -n \${_${bin}_glued[i]} ]] && continue
    case \${COMP_WORDS[i]} in
      --store|--data-dir)
        j=$((i + 1))
        # --flag=value: bash makes the "=" a word of its own.
        [[ \${COMP_WORDS[j]} == = && -n \${_${bin}_glued[j]} ]] && j=$((j + 1))
        if ((j < COMP_CWORD)); then place+=("\${COMP_WORDS[i]}" "$(_${bin}_joined "$j")"); fi
        ;;
    esac
  done
  ${bin} ns list "\${place[@]}" 2>/dev/null
}

_${bin}_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} id= arg=0 ended= expect= value= word i
  local -a _${bin}_glued
  COMPREPLY=()
  _${bin}_glue
  # bash splits --flag=value at "=" (COMP_WORDBREAKS): right after the "=", the word to complete is empty.
  [[ $cur == = ]] && cur=
  # Walk the words before the cursor: the command (topic, then command), flags and their values, arguments.
  for ((i = 1; i < COMP_CWORD; i++)); do
    # The rest of a word bash split at ":" or "=" (a URL, a key such as user:1) belongs to the word before.
    [[ -n \${_${bin}_glued[i]} ]] && continue
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
  # Within such a word (other than a flag's value after its "="), there is nothing to offer.
  if [[ -z $expect && -n \${_${bin}_glued[COMP_CWORD]} ]]; then return; fi
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
