/**
 * The process that reads namespaces for `kv ns check` (started by store/lmdb/check.ts with `now` and the
 * namespaces' directories, checked one after another): LMDB aborts the process (SIGSEGV, SIGBUS, SIGABRT) on
 * some damaged pages instead of returning an error, so whatever goes through lmdb-js runs here, where an abort
 * kills only this process (the parent starts another for the namespaces left).
 *
 * It reports on stdout, one JSON line at a time (ChildMessage), written synchronously so that everything
 * said before an abort reaches the parent: the namespace it starts on, the phase it enters, progress, and
 * what each phase found. It never writes to a namespace: environments are opened read-only.
 */
import {existsSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {Findings} from '../check.js'
import {reasonOf} from '../errors.js'
import {checkEntries} from './check-entries.js'
import type {CheckPhase, ChildMessage, Found} from './check.js'
import {FORMAT, FORMAT_KEY, openEnvironmentReadOnly} from './environment.js'
import {checkDataFile, DATA_FILE} from './files.js'
import {newestTxnId, walkPages, type PageWalk} from './pages.js'

/** Page walks tried without holding a snapshot before holding one (see stableWalk). */
const UNPINNED_TRIES = 3

function send(message: ChildMessage): void {
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`)
  for (let written = 0; written < bytes.length; ) {
    try {
      written += writeSync(1, bytes, written)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
    }
  }
}

function found(findings: Findings): Found {
  return {problems: findings.problems, problemCount: findings.problemCount, notes: findings.notes}
}

/** Runs one phase; an error LMDB (or anything else) throws in it is reported as that phase's failure. */
function phase<T>(name: CheckPhase, work: () => T): T | undefined {
  send({phase: name})
  try {
    return work()
  } catch (error) {
    send({failed: reasonOf(error)})
    return undefined
  }
}

/**
 * Walks the pages of the newest commit. Another process may commit meanwhile and, from its second commit on,
 * reuse pages of the one being walked: a walk during which no commit happened is kept; after a few that were
 * overtaken, a read snapshot is held during the walk (LMDB reuses no page a reader may still see).
 */
function stableWalk(path: string, directory: string): {walk: PageWalk | undefined; findings: Findings} {
  const progress = (done: number) => send({phase: 'pages', done})
  for (let attempt = 1; attempt <= UNPINNED_TRIES; attempt++) {
    const before = newestTxnId(path)
    const findings = new Findings()
    const walk = walkPages(path, findings, progress)
    if (newestTxnId(path) === before) return {walk, findings}
  }
  const env = phase('opening', () => openEnvironmentReadOnly(directory))
  const snapshot = env?.root.useReadTransaction()
  send({phase: 'pages'})
  try {
    const findings = new Findings()
    return {walk: walkPages(path, findings, progress), findings}
  } finally {
    snapshot?.done()
  }
}

function check(directory: string, now: number): void {
  const path = join(directory, DATA_FILE)
  send({phase: 'file'})
  try {
    checkDataFile(path)
  } catch (error) {
    const findings = new Findings()
    findings.problem('file', reasonOf(error))
    send({found: found(findings)})
    return
  }
  send({phase: 'pages'})
  const {walk, findings: pageFindings} = stableWalk(path, directory)
  send({pages: walk ?? null, found: found(pageFindings)})
  if (walk === undefined) return

  const names = new Set(walk.databases.map((db) => db.name))
  const env = phase('opening', () => openEnvironmentReadOnly(directory))
  if (env === undefined) return
  const format = phase('opening', () => (names.has('kv-meta') ? Number(Buffer.from(env.database('kv-meta').get(FORMAT_KEY) ?? []).toString('latin1')) : 1))
  if (format === undefined) return
  const findings = new Findings()
  if (format !== FORMAT) {
    findings.note(
      format === 1
        ? 'stored in format 1 (kv 0.1.0), upgraded the next time kv opens it: only its pages were checked'
        : `stored in format ${format}, which this kv does not know: only its pages were checked`,
    )
    send({found: found(findings)})
    return
  }
  const missing = ['records', 'expiries', 'expiry-index'].filter((name) => !names.has(name))
  if (missing.length > 0) {
    findings.problem('file', `the ${missing.join(', ')} database${missing.length === 1 ? ' is' : 's are'} missing`)
    send({found: found(findings)})
    return
  }
  const before = newestTxnId(path)
  const entries = phase('records', () => {
    const dbs = {root: env.root, records: env.database('records'), expiries: env.database('expiries'), expiryIndex: env.database('expiry-index')}
    return checkEntries(dbs, now, findings, (name, done) => send({phase: name as CheckPhase, done}))
  })
  if (entries === undefined) return
  send({entries, snapshot: newestTxnId(path) === before ? before : null, found: found(findings)})
}

const [now, ...directories] = process.argv.slice(2)
for (const [environment, directory] of directories.entries()) {
  send({environment})
  if (existsSync(directory)) check(directory, Number(now))
  else send({missing: true})
  send({done: true})
}
// Without closing the environments, as the CLI does (src/cli/main.ts): a close can break another process opening one.
process.exit(0)
