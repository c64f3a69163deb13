import {Args, Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {actorFlag, expiresInFlag} from '../cli/flags.js'
import {KvError} from '../engine/errors.js'
import {checkInteger} from '../engine/limits.js'

const byFlag = Flags.custom<number>({
  description: 'Amount to add; may be negative (--by -5 or --by=-5) [default: 1].',
  helpValue: '<n>',
  parse: async (text) => parseIncrement(text),
})()

/** A decimal integer, optionally signed, within the safe integer range. */
function parseIncrement(text: string): number {
  const trimmed = text.trim()
  if (!/^[+-]?\d+$/.test(trimmed)) throw new KvError('VALUE_INVALID', `must be an integer, got ${JSON.stringify(text)}`)
  return checkInteger(Number(trimmed), 'the increment')
}

export default class Incr extends KvCommand<typeof Incr> {
  static override summary = 'Atomically add to an integer value and print the result.'
  static override description = helpText(
    'A missing or expired key counts as 0. Safe across processes: concurrent increments never lose one another. ' +
      '--expires-in sets the expiration only when the counter is created (or had expired), so a rate-limit window ' +
      'stays fixed instead of growing with every hit; an existing expiration is always kept. ' +
      'A value that is not an integer is an error (exit 2) and stays unchanged.',
  )
  static override enableJsonFlag = true
  static override args = {key: Args.string({description: 'Key of the counter.', required: true, ignoreStdin: true})}
  static override flags = {by: byFlag, 'expires-in': expiresInFlag, actor: actorFlag}
  static override examples = [
    '<%= config.bin %> incr page-views',
    '<%= config.bin %> incr stock:42 --by -5',
    '[ "$(<%= config.bin %> incr "rate:$USER:$(date +%H%M)" --expires-in 60)" -le 100 ] || echo "rate limited"',
  ]

  async run(): Promise<{key: string; value: number}> {
    const {key} = this.args
    const value = await this.withNamespace({creates: true}, (namespace) =>
      namespace.incr(key, {by: this.flags.by, expiresIn: this.flags['expires-in']}),
    )
    if (!this.jsonEnabled()) process.stdout.write(`${value}\n`)
    return {key, value}
  }
}
