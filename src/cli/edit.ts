import {isUtf8} from 'node:buffer'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {isKvError, KvError} from '../engine/errors.js'
import type {Namespace} from '../engine/namespace.js'
import {message} from './output.js'
import {canPrompt, confirm, PromptCancelled} from './prompts.js'

/** The editor a person chose, as git and kubectl find it: $VISUAL, else $EDITOR, else vi. */
export function chosenEditor(env: NodeJS.ProcessEnv = process.env): string {
  return env.VISUAL || env.EDITOR || 'vi'
}

/**
 * vi, the editor of last resort, needs a terminal: without one it would draw its screen into stdout, then fail.
 * An editor the user named may be a script, and runs anyway. Call it before anything else is done.
 */
export function requireEditorTerminal(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.VISUAL && !env.EDITOR && !(process.stdin.isTTY && editorScreen() !== undefined)) {
    throw new KvError('USAGE', 'kv edit needs a terminal, or EDITOR set to a command that does not need one')
  }
}

/** Where the editor draws: the terminal on stdout, else the one on stderr (stdout carries data only). */
function editorScreen(): 1 | 2 | undefined {
  if (process.stdout.isTTY) return 1
  return process.stderr.isTTY ? 2 : undefined
}

/**
 * `kv edit`: the value in the user's editor, written back only if it changed, is still JSON when it was
 * JSON, and nobody wrote the key meanwhile (a conditional put on the version read). Expiration and metadata
 * are kept. Whenever the edit is not written, the edited text stays in its file and the error names it.
 */
export async function editValue(namespace: Namespace, key: string): Promise<{key: string; written: boolean}> {
  const entry = await namespace.getEntry(key)
  if (entry === null) throw new KvError('KEY_NOT_FOUND', `key ${JSON.stringify(key)} not found in namespace "${namespace.name}"`)
  const original = Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength)
  if (!isUtf8(original)) {
    throw new KvError('VALUE_INVALID', `the value of key ${JSON.stringify(key)} is binary, not UTF-8 text; kv edit edits text (use kv get > FILE, then kv put --file FILE)`)
  }
  const wasJson = parsesAsJson(original.toString('utf8')) === undefined
  const file = privateFile(key, wasJson ? '.json' : '.txt', original)
  const kept = `your text is kept in ${file}`
  for (;;) {
    await runEditor(file, kept)
    const edited = withoutAddedNewline(readFileSync(file), original)
    if (edited.equals(original)) {
      removeFile(file)
      message(`no changes to key ${JSON.stringify(key)}; nothing written`)
      return {key, written: false}
    }
    const problem = wasJson ? parsesAsJson(edited.toString('utf8')) : undefined
    if (problem !== undefined) {
      // A person at a terminal may fix it at once; a script gets the error.
      if (canPrompt() && (await editAgain(problem, kept))) continue
      throw new KvError('VALUE_INVALID', `the edited value of key ${JSON.stringify(key)} is no longer valid JSON (${problem}); nothing written; ${kept}`)
    }
    const written = await namespace
      .put(key, edited, {ifVersion: entry.version, metadata: entry.metadata, expiration: entry.expiresAt === null ? undefined : entry.expiresAt / 1000})
      // The expiration it keeps has passed: the key expired while it was being edited.
      .catch((error: unknown) => (isKvError(error, 'TTL_INVALID') ? false : Promise.reject(error)))
    if (!written) {
      throw new KvError('CONFLICT', `key ${JSON.stringify(key)} changed (or expired) in namespace "${namespace.name}" while it was being edited; nothing written; ${kept}`)
    }
    removeFile(file)
    return {key, written: true}
  }
}

/**
 * Editors end a file with a newline (vi always does, even after `:wq` with no change): when the stored value
 * did not end with one, the newline at the end of the file is the editor's, not part of the value.
 */
function withoutAddedNewline(edited: Buffer, original: Buffer): Buffer {
  if (original.at(-1) === LF || edited.at(-1) !== LF) return edited
  return edited.subarray(0, edited.length - (edited.at(-2) === CR && original.at(-1) !== CR ? 2 : 1))
}

const LF = 0x0a
const CR = 0x0d

/** Asks whether to reopen the editor; Ctrl-C there cancels (exit 130), saying where the text is. */
async function editAgain(problem: string, kept: string): Promise<boolean> {
  try {
    return await confirm(`The value is no longer valid JSON (${problem}). Edit it again?`, true)
  } catch (error) {
    if (error instanceof PromptCancelled) throw new PromptCancelled(`nothing written; ${kept}`)
    throw error
  }
}

/** Why `text` is not JSON, or undefined when it is. */
function parsesAsJson(text: string): string | undefined {
  try {
    JSON.parse(text)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** A file only the user can read (0600, in a 0700 directory), named after the key so the editor shows it. */
function privateFile(key: string, extension: string, contents: Buffer): string {
  const directory = mkdtempSync(join(tmpdir(), 'kv-edit-'))
  const file = join(directory, `${key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'value'}${extension}`)
  writeFileSync(file, contents, {mode: 0o600})
  return file
}

function removeFile(file: string): void {
  rmSync(join(file, '..'), {recursive: true, force: true})
}

/**
 * Runs the editor on `file` through the shell, as git does, so the variable may hold arguments
 * ("code --wait", "emacs -nw"); the file is passed as the last argument, never interpolated.
 */
function runEditor(file: string, kept: string): Promise<void> {
  const editor = chosenEditor()
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$@"`, editor, file], {stdio: ['inherit', editorScreen() ?? 2, 'inherit']})
    child.on('error', (error) => reject(new KvError('USAGE', `cannot run the editor "${editor}": ${error.message}; ${kept}`)))
    child.on('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new KvError('USAGE', `the editor "${editor}" ${signal ? `was killed by ${signal}` : `exited with status ${code}`}; nothing written; ${kept}`))
    })
  })
}
