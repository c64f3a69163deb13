import {readFileSync} from 'node:fs'

import {completionScriptFile, type Shell} from './shells.js'

/** `kv completion SHELL`: the script the build wrote for that shell, byte for byte. */
export function printCompletionScript(root: string, shell: Shell): void {
  process.stdout.write(readFileSync(completionScriptFile(root, shell)))
}
