import {KvError} from '../errors.js'

/**
 * Reads a list of keys in any of the shapes people have at hand:
 * - one key per line (blank lines skipped; a trailing \r is dropped, other spaces belong to the key);
 * - a JSON array of strings, or of {"name": ...} objects (what `wrangler kv key list` prints);
 * - the object `kv list --json` prints: {"keys": [{"name": ...}], ...}.
 * Text starting with `[` or `{` must be one of the JSON shapes: a broken JSON file is an error, never a
 * list of odd keys to delete.
 */
export function parseKeyList(text: string): string[] {
  const start = text.trimStart()
  if (!start.startsWith('[') && !start.startsWith('{')) {
    return text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)).filter((line) => line !== '')
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new KvError('VALUE_INVALID', `the key list starts like JSON but is not valid JSON (${(error as Error).message})`)
  }
  const items = Array.isArray(data) ? data : (data as {keys?: unknown} | null)?.keys
  if (!Array.isArray(items)) {
    throw new KvError('VALUE_INVALID', 'the key list is a JSON object without a "keys" array (expected what `kv list --json` prints)')
  }
  return items.map((item: unknown, index) => {
    const name = typeof item === 'object' && item !== null ? (item as {name?: unknown}).name : item
    if (typeof name !== 'string') {
      throw new KvError('KEY_INVALID', `key list entry ${index}: expected a string or an object with a string "name"`)
    }
    return name
  })
}
