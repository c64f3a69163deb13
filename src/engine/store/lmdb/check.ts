import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {Findings, type CheckProblem, type StoreCheck} from '../check.js'
import type {EntryCounts} from './check-entries.js'
import {bytesOnDisk} from './files.js'
import type {PageWalk} from './pages.js'

/**
 * `kv ns check` on a local namespace. Everything that reads the data file runs in a child process
 * (store/lmdb/check-child.ts): a page walk with plain file reads (store/lmdb/pages.ts), which finds damaged
 * pages without LMDB, then a read of every entry through lmdb-js (store/lmdb/check-entries.ts). When LMDB
 * aborts on a damaged page, the child dies and this reports the namespace as damaged, naming the signal
 * and what was being read; kv itself never maps a page of the namespace here.
 */

export type CheckPhase = 'file' | 'pages' | 'opening' | 'records' | 'expiry-index'

export interface Found {
  problems: CheckProblem[]
  problemCount: number
  notes: string[]
}

/** What the child says, one JSON line each: for each environment it was given, in this order. */
export type ChildMessage =
  /** It starts on the environment at this index of its list. */
  | {environment: number}
  /** That environment's directory is gone (the namespace was deleted since it was listed). */
  | {missing: true}
  /** It enters a phase (or, with `done`, is still in it: entries or pages read so far). */
  | {phase: CheckPhase; done?: number}
  /** The phase it is in failed: LMDB returned an error. */
  | {failed: string}
  | {found: Found}
  | {pages: PageWalk | null; found: Found}
  /** `snapshot`: the commit the entries were read from, when known (no commit happened meanwhile). */
  | {entries: EntryCounts; snapshot: number | null; found: Found}
  /** It is done with that environment. */
  | {done: true}

const PHASE_WORDS: Record<CheckPhase, string> = {
  file: 'checking the meta pages',
  pages: 'walking the pages',
  opening: 'opening the environment',
  records: 'reading records and expiries',
  'expiry-index': 'reading expiry-index',
}

/**
 * The child reports progress at least every 20,000 pages or entries; one that says nothing for this long is
 * stuck (a damaged tree LMDB loops in), and is killed.
 */
const STALL_MS = 60_000
/**
 * Environments one child checks, one after another: each costs it a Node start otherwise (about 0.25 s), and it
 * keeps each one open (see check-child.ts), two files apiece, so a few hundred would reach the open-file limit.
 */
const ENVIRONMENTS_PER_CHILD = 64

/**
 * Checks each LMDB environment in `directories`, in order, never throwing for what it finds in the files, and
 * reading them in as few child processes as it can: one that dies (LMDB aborted on a damaged page) is reported
 * as that environment's problem, and a new child goes on with the rest. `check` is undefined for a directory
 * that was gone when its turn came.
 */
export async function* checkEnvironments(directories: readonly string[], now: number): AsyncGenerator<{directory: string; check?: StoreCheck}, void, undefined> {
  for (let next = 0; next < directories.length; ) {
    const batch = directories.slice(next, next + ENVIRONMENTS_PER_CHILD)
    for await (const checked of runChild(batch, now)) {
      next++
      yield checked
    }
  }
}

/** What the child has said of the environment it is on. */
class EnvironmentState {
  readonly findings = new Findings()
  phase: CheckPhase = 'file'
  walk: PageWalk | null = null
  entries: EntryCounts | undefined
  missing = false
  finished = false

  constructor(readonly directory: string) {}

  handle(message: ChildMessage): void {
    if ('phase' in message) this.phase = message.phase
    if ('failed' in message) this.findings.problem('read', `LMDB failed ${PHASE_WORDS[this.phase]}: ${message.failed}`)
    if ('found' in message) this.findings.merge(message.found)
    if ('pages' in message) this.walk = message.pages
    if ('entries' in message) {
      this.entries = message.entries
      if (this.walk !== null && message.snapshot === this.walk.txnId) compareCounts(this.walk, this.entries, this.findings)
    }
    if ('missing' in message) this.missing = true
    // `done` is also a phase's progress (a count): only `{done: true}` ends the environment.
    if ('done' in message && message.done === true) this.finished = true
  }

  result(): {directory: string; check?: StoreCheck} {
    return {directory: this.directory, check: this.missing ? undefined : report(this.findings, this.walk, this.entries, this.directory)}
  }
}

/**
 * One child on `directories`: yields each environment's report as the child finishes it. When the child ends
 * early, the environment it was on is reported with why, and the generator ends: the caller starts another
 * child for the environments left (it always gets at least one report, so it always gets further).
 */
async function* runChild(directories: readonly string[], now: number): AsyncGenerator<{directory: string; check?: StoreCheck}, void, undefined> {
  const reports: {directory: string; check?: StoreCheck}[] = []
  let wake: (() => void) | undefined
  let ended = false
  let failure: Error | undefined
  const settle = () => {
    wake?.()
    wake = undefined
  }
  let current = new EnvironmentState(directories[0])
  const handle = (message: ChildMessage) => {
    if ('environment' in message) current = new EnvironmentState(directories[message.environment])
    else current.handle(message)
    if (current.finished) {
      reports.push(current.result())
      settle()
    }
  }
  const [command, args] = childCommand(directories, now)
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
  let stalled = false
  let timer: NodeJS.Timeout | undefined
  const alive = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      stalled = true
      child.kill('SIGKILL')
    }, STALL_MS)
  }
  alive()
  let pending = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    alive()
    pending += chunk
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      handle(JSON.parse(pending.slice(0, end)) as ChildMessage)
      pending = pending.slice(end + 1)
    }
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk
  })
  child.on('error', (error) => {
    clearTimeout(timer)
    failure = error
    ended = true
    settle()
  })
  child.on('close', (code, signal) => {
    clearTimeout(timer)
    if (!current.finished) {
      const words = PHASE_WORDS[current.phase]
      const {findings} = current
      if (stalled) findings.problem('read', `the check process made no progress for ${STALL_MS / 1000} s while ${words}, and was stopped`)
      else if (signal !== null) findings.problem('read', `the check process was killed by ${signal} while ${words}: LMDB aborts on this namespace's pages, and kv would too`)
      else {
        const said = stderr.split('\n').find((line) => line.trim() !== '')
        findings.problem('read', `the check process exited with code ${code} while ${words}${said ? `: ${said.trim()}` : ''}`)
      }
      current.missing = false
      reports.push(current.result())
    }
    ended = true
    settle()
  })
  for (;;) {
    while (reports.length > 0) yield reports.shift()!
    if (failure !== undefined) throw failure
    if (ended) return
    await new Promise<void>((resolve) => (wake = resolve))
  }
}

function report(findings: Findings, walk: PageWalk | null, entries: EntryCounts | undefined, directory: string): StoreCheck {
  // When the entries could not be read, the counts the page walk found are the next best thing.
  const stated = (name: string) => walk?.databases.find((db) => db.name === name)?.entries ?? 0
  return {
    entries: entries?.keys ?? stated('records'),
    withExpiry: entries?.expiring ?? stated('expiries'),
    expired: entries?.expired ?? 0,
    problems: findings.problems,
    problemCount: findings.problemCount,
    notes: findings.notes,
    bytesOnDisk: sizeOf(directory),
    details: walk === null ? null : {store: 'lmdb', ...walk},
  }
}

/** The namespace's size as `kv ns list` gives it; null when it was deleted meanwhile. */
function sizeOf(directory: string): number | null {
  try {
    return bytesOnDisk(directory)
  } catch {
    return null
  }
}

/**
 * The page walk and LMDB read the same commit: LMDB must read as many entries as each database's record (its
 * MDB_db) says it holds, which is what the walk reports (its own count when its pages are sound, as they then
 * agree; the record's when they are not). Entries LMDB cannot reach on a damaged page show here.
 */
function compareCounts(walk: PageWalk, entries: EntryCounts, findings: Findings): void {
  for (const [name, read] of Object.entries(entries.entries)) {
    const held = walk.databases.find((db) => db.name === name)?.entries
    if (held !== undefined && held !== read) findings.problem('count', `${name}: LMDB read ${read} entries, its record says ${held}`)
  }
}

/**
 * How to start the child: node on check-child.js next to this module (the library in dist/), or under
 * dist/engine/store/lmdb/ when this code runs from the CLI's bundle (dist/kv.cjs), or check-child.ts through
 * tsx when the sources run directly (bin/dev.js, the tests). On POSIX systems through sh, to turn core dumps
 * off: an abort is expected here, and a core file of a Node process is hundreds of megabytes.
 */
function childCommand(directories: readonly string[], now: number): [string, string[]] {
  const here = dirname(fileURLToPath(import.meta.url))
  const built = [join(here, 'check-child.js'), join(here, 'engine', 'store', 'lmdb', 'check-child.js')].find((path) => existsSync(path))
  const node = built !== undefined ? [built] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, join(here, 'check-child.ts')]
  const args = [...node, String(now), ...directories]
  if (process.platform === 'win32') return [process.execPath, args]
  return ['/bin/sh', ['-c', 'ulimit -c 0 2>/dev/null; exec "$0" "$@"', process.execPath, ...args]]
}
