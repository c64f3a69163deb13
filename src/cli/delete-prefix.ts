import type {Namespace} from '../engine/namespace.js'
import {KvError} from '../engine/errors.js'
import {plural} from './format.js'
import {message} from './output.js'
import {confirm, handlingCancel, requireTerminalOr} from './prompts.js'
import {undoHint} from './undo.js'

/** Keys shown in the confirmation of `kv delete --prefix`. */
const EXAMPLE_KEYS = 5

/**
 * `kv delete --prefix`: asks first on a terminal (count and a few keys), requires --yes otherwise, then
 * deletes every live key with the prefix in one transaction. Returns what --json prints, or undefined when
 * the user said no or cancelled.
 */
export async function deleteByPrefix(namespace: Namespace, prefix: string, {yes, json}: {yes: boolean; json: boolean}): Promise<{deleted: number} | undefined> {
  if (prefix === '' && !yes) {
    throw new KvError('USAGE', `an empty prefix deletes every key in namespace "${namespace.name}": add --yes to do that`)
  }
  if (!yes) {
    requireTerminalOr(`add --yes to delete the keys starting with ${JSON.stringify(prefix)}`)
    const {count, examples} = await countMatches(namespace, prefix)
    if (count === 0) {
      message(`no keys start with ${JSON.stringify(prefix)} in namespace "${namespace.name}"; nothing deleted`)
      return {deleted: 0}
    }
    const shown = examples.map((key) => JSON.stringify(key)).join(', ') + (count > examples.length ? ', …' : '')
    let agreed = false
    const answered = await handlingCancel(async () => {
      agreed = await confirm(`Delete ${plural(count, 'key')} starting with ${JSON.stringify(prefix)} from namespace "${namespace.name}" (${shown})?`)
    })
    if (!agreed) {
      if (answered) message('nothing deleted')
      return undefined
    }
  }
  const {deleted, revisions} = await namespace.deleteKeys({prefix})
  if (!json) message(`deleted ${plural(deleted, 'key')}${await undoHint(namespace, {prefix}, revisions)}`)
  return {deleted}
}

/** How many live keys start with `prefix`, and the first few of them. */
async function countMatches(namespace: Namespace, prefix: string): Promise<{count: number; examples: string[]}> {
  let count = 0
  const examples: string[] = []
  for await (const entry of namespace.entries({prefix})) {
    if (examples.length < EXAMPLE_KEYS) examples.push(entry.name)
    count++
  }
  return {count, examples}
}
