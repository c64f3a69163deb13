import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {damagedSummary, reportCheck, SHOWN_PROBLEMS, writeCheckTable} from '../../cli/check-report.js'
import {EXIT} from '../../cli/exit-codes.js'
import {findingNamespace, storeLocation} from '../../cli/namespace.js'
import {message, stdoutIsTerminal} from '../../cli/output.js'
import {checkEveryNamespace, checkNamespace, type NamespaceCheck} from '../../engine/check.js'

export default class NsCheck extends KvCommand<typeof NsCheck> {
  static override summary = 'Check the integrity of a namespace, or of every namespace.'
  static override description = helpText(
    'Local: walks every page of the namespace\'s data file (in a separate process, so pages that would make ' +
      'LMDB abort are reported, not crashed on), reads every entry, and checks that the expiry indexes and the ' +
      'records agree. Redis: checks that the keys and exp indexes and the records agree. Without NAME, checks ' +
      `every namespace. Exit 0 when all are sound; otherwise exit 4 and one line per problem on stderr (at most ${SHOWN_PROBLEMS} ` +
      'per namespace, then how many more). On a terminal: a table of keys, expired keys, tree depth, pages in use, ' +
      'free pages and size on disk (as kv ns list gives it); otherwise one line per namespace: NAME, a tab, ok or damaged. --json: the full ' +
      'report (an object for NAME, an array without), every problem included.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Namespace to check [default: every namespace].', ignoreStdin: true})}
  static override examples = [
    '<%= config.bin %> ns check sessions',
    '<%= config.bin %> ns check || alert "kv: a namespace is damaged"',
    '<%= config.bin %> ns check --json | jq \'.[] | select(.ok | not) | .problems\'',
  ]

  async run(): Promise<NamespaceCheck | NamespaceCheck[]> {
    const location = storeLocation(this.flags)
    const json = this.jsonEnabled()
    const named = this.args.name
    const checks: NamespaceCheck[] = []
    for await (const checked of named === undefined ? checkEveryNamespace(location) : [await findingNamespace({name: named, saved: false}, location, () => checkNamespace(named, location))]) {
      checks.push(checked)
      if (!json) reportCheck(checked)
    }
    if (!json && stdoutIsTerminal()) {
      if (checks.length > 0) await writeCheckTable(checks)
      else message('no namespaces to check')
    }
    const summary = damagedSummary(checks)
    if (summary !== undefined) {
      process.exitCode = EXIT.storage
      // Under --json, stderr carries one error line, as for any failing command; the problems are in the report.
      if (json) process.stderr.write(`${JSON.stringify({error: {code: 'STORAGE_FAILURE', message: summary}})}\n`)
      else if (named === undefined) message(summary)
    }
    return named === undefined ? checks : checks[0]
  }
}
