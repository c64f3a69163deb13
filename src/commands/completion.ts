import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {printCompletionScript} from '../cli/completion/print.js'
import {SHELLS, type Shell} from '../cli/completion/shells.js'

export default class Completion extends KvCommand<typeof Completion> {
  static override summary = 'Print a shell completion script (bash, zsh or fish).'
  static override description = helpText(
    'Completes command names, flags, and namespace names after -n/--namespace and for kv ns use|delete|clean NAME ' +
      '(read with kv ns list when you press Tab, in the --store or --data-dir on the line if there is one). The script is made ' +
      "from this kv's commands: write it again after upgrading kv.\n\n" +
      'bash: save it as ~/.local/share/bash-completion/completions/kv (with the bash-completion package), or add ' +
      'source <(kv completion bash) to ~/.bashrc.\n' +
      'zsh: save it as _kv in a directory of $fpath, or add source <(kv completion zsh) to ~/.zshrc after compinit.\n' +
      'fish: save it as ~/.config/fish/completions/kv.fish.',
  )
  static override args = {
    shell: Args.string({description: 'Shell to write the script for.', required: true, options: [...SHELLS], ignoreStdin: true}),
  }
  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/<%= config.bin %>',
    'source <(<%= config.bin %> completion zsh)',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ]

  async run(): Promise<void> {
    printCompletionScript(this.config.root, this.args.shell as Shell)
  }
}
