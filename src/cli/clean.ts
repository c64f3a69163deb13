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

/** Keys named in a summary of the chosen ones; the rest are counted. */
const SUMMARY_KEYS = 5

/**
 * `kv ns clean`: prefix, checkbox, confirmation, one-transaction delete; then an offer to purge expired keys,
 * which take `space` until then ("disk space" in local files, "memory" on Redis).
 */
export async function cleanInteractively(namespace: Namespace, {space}: {space: string}): Promise<void> {
  const where = `namespace "${namespace.name}"`
  const {prefix, chosen} = await chooseKeys(namespace)
  if (chosen.length > 0) {
    if (await confirm(`Delete ${plural(chosen.length, 'key')} from ${where}?`)) {
      const {deleted, revisions} = await namespace.deleteKeys({keys: chosen})
      const gone = chosen.length - deleted
      const meanwhile = gone === 0 ? '' : `; ${gone === 1 ? 'one' : gone} of those chosen had expired or been deleted meanwhile`
      message(`deleted ${plural(deleted, 'key')} from ${where}${await undoHint(namespace, {prefix}, revisions)}${meanwhile}`)
    } else {
      message('nothing deleted')
    }
  }
  // Expired keys the history may still need stay whatever the answer: only the others are offered.
  const {reclaimable: expired} = await namespace.stats()
  const one = expired === 1
  if (expired > 0 && (await confirm(`${plural(expired, 'expired key')} in ${where} still ${one ? 'takes' : 'take'} ${space}. Purge ${one ? 'it' : 'them'} now?`, true))) {
    message(`purged ${plural(await namespace.purgeExpired(), 'expired key')}`)
  }
}

/** Asks for a prefix until the matches fit the checkbox, or the user explicitly takes all of them. */
async function chooseKeys(namespace: Namespace): Promise<{prefix: string; chosen: string[]}> {
  // A longer prefix starts from the one typed before.
  let prefix = ''
  for (;;) {
    prefix = await input('Delete keys starting with (empty for all keys):', prefix)
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
      `Choose the ${described} to delete (space toggles, a toggles all, i inverts, Enter submits):`,
      checkboxChoices(shown),
      summarise,
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

/** "51 keys: a, b, c, d, e and 46 more". */
function summarise(keys: string[]): string {
  const named = keys.slice(0, SUMMARY_KEYS).map(printableKey).join(', ')
  return keys.length <= SUMMARY_KEYS ? named || 'none' : `${keys.length} keys: ${named} and ${keys.length - SUMMARY_KEYS} more`
}

function checkboxChoices(matches: Match[]) {
  const now = Date.now()
  const labels = matches.map((match) => printableKey(match.name))
  const width = Math.min(60, Math.max(...labels.map((label) => label.length)))
  return matches.map((match, i) => ({
    name: `${labels[i].padEnd(width)}  ${humanBytes(match.bytes).padStart(9)}  ${humanExpiry(match.expiresAt, now)}`,
    value: match.name,
  }))
}


