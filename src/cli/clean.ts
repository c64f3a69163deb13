import type {Namespace} from '../engine/namespace.js'
import {humanBytes, humanExpiry, plural} from './format.js'
import {message, printableKey} from './output.js'
import {undoHint} from './undo.js'
import {checkbox, confirm, input, select} from './prompts.js'

/**
 * Most keys the checkbox offers. Beyond that nobody reads the list, so the user narrows the prefix or says
 * "all N" explicitly; a key is never deleted unless it was shown or counted in the question.
 */
export const MAX_CHECKBOX_KEYS = 200

interface Match {
  name: string
  bytes: number
  expiresAt: number | null
}

interface Matches {
  /** The first MAX_CHECKBOX_KEYS matches, with what the checkbox shows. */
  shown: Match[]
  /** Every match's name, from the same snapshot: what "all N" deletes, and nothing added since. */
  names: string[]
}

/** `kv ns clean`: prefix, checkbox, confirmation, one-transaction delete; then an offer to purge expired keys. */
export async function cleanInteractively(namespace: Namespace): Promise<void> {
  const where = `namespace "${namespace.name}"`
  const {prefix, chosen} = await chooseKeys(namespace)
  if (chosen.length > 0) {
    if (await confirm(`Delete ${plural(chosen.length, 'key')} from ${where}?`)) {
      const {deleted, revisions} = await namespace.deleteKeys({keys: chosen})
      message(`deleted ${plural(deleted, 'key')} from ${where}${undoHint(namespace.name, {prefix}, revisions)}`)
    } else {
      message('nothing deleted')
    }
  }
  // Expired keys the history may still need stay whatever the answer: only the others are offered.
  const {reclaimable: expired} = await namespace.stats()
  if (expired > 0 && (await confirm(`${plural(expired, 'expired key')} in ${where} still take disk space. Purge them now?`, true))) {
    message(`purged ${plural(await namespace.purgeExpired(), 'expired key')}`)
  }
}

/** Asks for a prefix until the matches fit the checkbox, or the user explicitly takes all of them. */
async function chooseKeys(namespace: Namespace): Promise<{prefix: string; chosen: string[]}> {
  for (;;) {
    const prefix = await input('Delete keys starting with (empty for all keys):')
    const {shown, names} = await findMatches(namespace, prefix)
    const described = prefix === '' ? 'keys' : `keys starting with ${JSON.stringify(prefix)}`
    if (names.length === 0) {
      message(`no live ${described} in namespace "${namespace.name}"`)
      return {prefix, chosen: []}
    }
    if (names.length > shown.length) {
      const next = await select(`${names.length} ${described}: more than the ${shown.length} a list can show. What now?`, [
        {name: 'Type a longer prefix', value: 'narrow'},
        {name: `Choose among the first ${shown.length}`, value: 'choose'},
        {name: `Delete all ${names.length} matching keys`, value: 'all'},
      ])
      if (next === 'narrow') continue
      if (next === 'all') return {prefix, chosen: names}
    }
    const chosen = await checkbox(
      `Choose the ${described} to delete (space toggles, a toggles all, Enter submits):`,
      checkboxChoices(shown),
    )
    if (chosen.length === 0) message('no keys chosen; nothing deleted')
    return {prefix, chosen}
  }
}

/** The live keys under `prefix`, read from one snapshot. */
async function findMatches(namespace: Namespace, prefix: string): Promise<Matches> {
  const shown: Match[] = []
  const names: string[] = []
  for await (const entry of namespace.entries({prefix})) {
    if (shown.length < MAX_CHECKBOX_KEYS) shown.push({name: entry.name, bytes: entry.value.length, expiresAt: entry.expiresAt})
    names.push(entry.name)
  }
  return {shown, names}
}

function checkboxChoices(matches: Match[]) {
  const now = Date.now()
  const labels = matches.map((match) => printableKey(match.name))
  const width = Math.min(60, Math.max(...labels.map((label) => label.length)))
  return matches.map((match, i) => ({
    name: `${labels[i].padEnd(width)}  ${humanBytes(match.bytes).padStart(9)}  expires ${humanExpiry(match.expiresAt, now)}`,
    value: match.name,
  }))
}


