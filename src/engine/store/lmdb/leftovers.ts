import {readdirSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

/**
 * The private directories beside the namespaces: one a namespace is built in before it is renamed into place,
 * one a deleted namespace is renamed to before its files go. Each is named after the process that made it and
 * when, so that what a killed process left can be told from what a running one is working in.
 */
export type Leftover = 'creating' | 'deleting'

/** A name no other process picks at the same time (a clash would make the rename fail, not lose data). */
export function leftoverName(kind: Leftover): string {
  // Not from node:crypto, which would add a few milliseconds to every CLI start for one rare operation.
  return `.${kind}-${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

/**
 * A leftover's process is gone, and it was made a while ago: a process of another PID namespace (a container
 * sharing the data dir) looks gone, but would not take a minute to create or delete.
 */
const STALE_AFTER_MS = 60_000
/** Named by an older kv (".creating-" and six random characters): only its age tells. */
const STALE_UNNAMED_AFTER_MS = 60 * 60_000
const NAMED = /^\.(?:creating|deleting)-([0-9a-z]+)-([0-9a-z]+)-/
const UNNAMED = /^\.creating-[^-]+$/

/**
 * Removes what creates and deletes killed half-way left in `root` (a SIGKILL, a crash: nothing else leaves
 * them), so that they do not take disk space for good. Best effort: a leftover that cannot go stays.
 */
export function sweepLeftovers(root: string, now = Date.now()): void {
  let entries: string[]
  try {
    entries = readdirSync(root)
  } catch {
    return
  }
  for (const entry of entries) {
    const named = NAMED.exec(entry)
    const path = join(root, entry)
    let stale: boolean
    if (named !== null) stale = now - Number.parseInt(named[2], 36) > STALE_AFTER_MS && !isRunning(Number.parseInt(named[1], 36))
    else stale = UNNAMED.test(entry) && now - modified(path) > STALE_UNNAMED_AFTER_MS
    try {
      if (stale) rmSync(path, {recursive: true, force: true})
    } catch {}
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function modified(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return Number.POSITIVE_INFINITY
  }
}
