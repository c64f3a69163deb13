import {join} from 'node:path'

/** The shells `kv completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/**
 * Where `npm run build` puts each shell's script (src/cli/completion/generate.ts). They are written from
 * the command table at build time, so no completion code loads when another command starts.
 */
export function completionScriptFile(root: string, shell: Shell): string {
  return join(root, 'dist', 'completion', `kv.${shell}`)
}
