import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {historyFlag} from '../../cli/flags.js'
import {describeRetention} from '../../cli/format.js'
import {openCommandNamespace} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {KvError} from '../../engine/errors.js'
import type {HistoryState} from '../../engine/types.js'

export default class NsSet extends KvCommand<typeof NsSet> {
  static override summary = 'Change a namespace\'s settings: how much history it keeps.'
  static override description = helpText(
    '--history off | AGE | COUNT | AGE,COUNT: from now on changes are dropped once older than AGE (30d, 12h) or ' +
      'beyond the newest COUNT revisions, a little at a time as writes go (never a pause that grows with the history). ' +
      'Turning history off means no past revision can be read any more; turning it on keeps changes from now on. ' +
      'Prints the new setting on stderr; --json prints {name, revision, oldest, retention}.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Namespace to change [default: the current namespace].', ignoreStdin: true})}
  static override flags = {history: historyFlag}
  static override examples = ['<%= config.bin %> ns set sessions --history off', '<%= config.bin %> ns set flags --history 90d,10000']

  async run(): Promise<{name: string} & HistoryState> {
    const {history} = this.flags
    if (history === undefined) throw new KvError('USAGE', 'nothing to set: give --history off, an age (30d), a count (10000) or both (30d,10000)')
    const namespace = await openCommandNamespace({...this.flags, namespace: this.args.name ?? this.flags.namespace}, {creates: true})
    await namespace.setHistory(history)
    const state = await namespace.historyState()
    if (!this.jsonEnabled()) message(`namespace "${namespace.name}" ${describeRetention(state.retention)}`)
    return {name: namespace.name, ...state}
  }
}
