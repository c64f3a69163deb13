import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {Interfaces} from '@oclif/core'

import {bashScript} from './bash.js'
import {fishScript} from './fish.js'
import {completionModel, type CompletionModel} from './model.js'
import {completionScriptFile, type Shell, SHELLS} from './shells.js'
import {zshScript} from './zsh.js'

const SCRIPTS: Record<Shell, (model: CompletionModel) => string> = {bash: bashScript, zsh: zshScript, fish: fishScript}

/** One shell's completion script for the commands in `model`. */
export function completionScript(model: CompletionModel, shell: Shell): string {
  return SCRIPTS[shell](model)
}

/**
 * `npm run build`, after `oclif manifest`: writes every shell's script from oclif.manifest.json and the topics
 * in package.json, so `kv completion` only prints a file and the other commands never load any of this.
 */
export function writeCompletionScripts(root: string): void {
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as Interfaces.Manifest
  const {oclif} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {oclif: {bin: string; topics?: Record<string, {description?: string}>}}
  const model = completionModel(manifest, oclif.topics ?? {}, oclif.bin)
  for (const shell of SHELLS) {
    const file = completionScriptFile(root, shell)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, completionScript(model, shell))
  }
}
