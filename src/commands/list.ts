import {KvCommand, helpText} from '../cli/base-command.js'
import {cursorFlag, limitFlag, prefixFlag} from '../cli/flags.js'
import {message, writeLines} from '../cli/output.js'
import type {ListPage} from '../engine/namespace.js'

export default class List extends KvCommand<typeof List> {
  static override summary = 'List keys, one per line, in byte order.'
  static override description = helpText(
    'Lists live keys in UTF-8 byte order, at most --limit of them. --json prints one page as ' +
      '{keys: [{name, expiresAt, metadata}], cursor, complete}; pass the cursor back with --cursor to walk any number ' +
      'of keys. The last page has "cursor": null and "complete": true: stop there ("null" is not a cursor, and any text ' +
      'kv did not write as one exits 2). expiresAt is milliseconds since the epoch, or null; metadata is the JSON kept ' +
      'with the key, or null.',
  )
  static override enableJsonFlag = true
  static override flags = {prefix: prefixFlag, limit: limitFlag, cursor: cursorFlag}
  static override examples = [
    '<%= config.bin %> list --prefix user:',
    '<%= config.bin %> list --limit 10',
    'cursor=; while page=$(<%= config.bin %> list --json ${cursor:+--cursor "$cursor"}); do echo "$page" | jq -r \'.keys[].name\'; ' +
      'cursor=$(echo "$page" | jq -r \'.cursor // empty\'); [ -n "$cursor" ] || break; done',
  ]

  async run(): Promise<ListPage> {
    const {prefix, limit, cursor} = this.flags
    const page = await this.withNamespace({creates: false}, (namespace) => namespace.listPage({prefix, limit, cursor}))
    if (!this.jsonEnabled()) {
      writeLines(page.keys.map((key) => key.name))
      if (!page.complete) message(`more keys follow: continue with --cursor ${page.cursor}`)
    }
    return page
  }
}
