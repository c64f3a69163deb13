import {Args, Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {actorFlag, yesFlag} from '../cli/flags.js'
import {reportRevert, type RevertJson} from '../cli/revert.js'
import {KvError} from '../engine/errors.js'
import {parseRevision} from '../engine/limits.js'

export default class Revert extends KvCommand<typeof Revert> {
  static override summary = 'Put a key, or every key with a prefix, back as it was at a revision.'
  static override description = helpText(
    'Each key that changed after revision --to is put back as it was right after it: value, expiry and metadata; a ' +
      'key that did not exist then (or has expired since) is deleted. Keys that are already as they were are left ' +
      'alone. All of it is one new revision (on Redis, a revert of more than 1,000 keys is applied in chunks, one ' +
      'revision each, like an import), itself a change that can be reverted. Nothing to change: says so, exit 0.\n\n' +
      'On a terminal it shows what will change and asks; without a terminal --yes is required (exit 2 otherwise). ' +
      '--dry-run prints what would change (one "put KEY" or "delete KEY" per line, or --json) and writes nothing. ' +
      '--json prints {reverted, revisions, changes: [{key, type}]}. A revision newer than the current one exits 2; ' +
      'one older than the history kept exits 1 naming the oldest kept.',
  )
  static override usage = ['<%= command.id %> KEY --to REVISION', '<%= command.id %> --prefix PREFIX --to REVISION [--dry-run] [--yes]']
  static override enableJsonFlag = true
  static override args = {key: Args.string({description: 'Key to put back.', ignoreStdin: true})}
  static override flags = {
    prefix: Flags.string({description: 'Put back every key that starts with this prefix (matched literally; "" is every key).'}),
    to: Flags.custom<number>({
      description: 'The revision to go back to: keys are put back as they were right after it (see kv history).',
      helpValue: '<revision>',
      required: true,
      parse: async (text) => parseRevision(text, 'the revision to revert to'),
    })(),
    'dry-run': Flags.boolean({description: 'Print what would change; write nothing.'}),
    yes: yesFlag,
    actor: actorFlag,
  }
  static override examples = [
    '<%= config.bin %> revert feature-flags --to 811',
    '<%= config.bin %> revert --prefix tmp: --to 811 --dry-run',
    '<%= config.bin %> revert --prefix tmp: --to 811 --yes --json',
  ]

  async run(): Promise<RevertJson | undefined> {
    const {key} = this.args
    const {prefix, to, yes} = this.flags
    if ((key === undefined) === (prefix === undefined)) throw new KvError('USAGE', 'give a KEY or --prefix PREFIX to revert (not both)')
    const which = key === undefined ? {prefix: prefix!} : {key}
    return this.withNamespace({creates: false}, (namespace) =>
      reportRevert(namespace, which, to, {dryRun: this.flags['dry-run'], yes, json: this.jsonEnabled()}),
    )
  }
}
