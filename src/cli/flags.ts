import {Flags} from '@oclif/core'

import {MAX_METADATA_BYTES, parseListLimit, parseMetadata, parseRetention, parseRevision, parseTtl} from '../engine/limits.js'
import type {HistoryRetention} from '../engine/types.js'
import type {FlagSpelling} from './argv-habits.js'

/** Every flag that more than one command takes is defined once, here. */

export const namespaceFlag = Flags.string({
  char: 'n',
  env: 'KV_NAMESPACE',
  description: 'Namespace to use [default: the one set with `kv ns use`, else "default"].',
  helpGroup: 'GLOBAL',
})

export const dataDirFlag = Flags.string({
  env: 'KV_DATA_DIR',
  description: 'Directory that holds local namespaces [default: the platform data directory].',
  helpGroup: 'GLOBAL',
})

export const storeFlag = Flags.string({
  env: 'KV_STORE',
  description: 'Where namespaces live: local (LMDB files in --data-dir) or a Redis / Valkey URL (redis://, rediss://, redis+unix://) [default: the one set with `kv store use`, else local].',
  helpValue: '<url>',
  helpGroup: 'GLOBAL',
})

/** The flags every command takes (the base command's). */
export const GLOBAL_FLAGS = {namespace: namespaceFlag, store: storeFlag, 'data-dir': dataDirFlag}

/** How the global flags, and oclif's --json, are spelled: what may come before the command (argv-habits.ts). */
export const GLOBAL_FLAG_SPELLINGS: FlagSpelling[] = [
  ...Object.entries(GLOBAL_FLAGS).map(([name, flag]) => ({name, char: flag.char, takesValue: flag.type === 'option'})),
  {name: 'json', takesValue: false},
]

export const expiresInFlag = Flags.custom<number>({
  description: 'Time to live: seconds, or a number with s, m, h or d (90s, 30m, 1h, 7d).',
  helpValue: '<ttl>',
  parse: async (text) => parseTtl(text),
})()

export const prefixFlag = Flags.string({
  description: 'Only keys that start with this prefix (matched literally).',
})

export const limitFlag = Flags.custom<number>({
  description: 'Maximum number of keys to list (1 to 100000) [default: 1000].',
  helpValue: '<n>',
  parse: async (text) => parseListLimit(text),
})()

export const cursorFlag = Flags.string({
  description: 'Continue a list where the previous page stopped: the cursor `kv list --json` printed (null once the list is complete).',
})

export const fileFlag = Flags.string({
  char: 'f',
  description: 'Read the value from this file (`-` for stdin).',
  helpValue: '<path>',
})

export const yesFlag = Flags.boolean({
  char: 'y',
  description: 'Do not ask for confirmation (required when stdin is not a terminal).',
})

/** Bulk formats: import detects it when this flag is absent; export defaults to ndjson. */
export const formatFlag = Flags.option({
  options: ['ndjson', 'json'] as const,
  description: 'Record format: ndjson (one JSON object per line) or json (one array, as `wrangler kv bulk put` takes).',
})()

/** Metadata as JSON text; the parsed value is what is stored (or undefined for none). */
export const metadataFlag = Flags.custom<unknown>({
  description: `Metadata to keep with the key: any JSON value of at most ${MAX_METADATA_BYTES} bytes (e.g. '{"owner":"ana"}').`,
  helpValue: '<json>',
  parse: async (text) => {
    const json = parseMetadata(text)
    return json === null ? undefined : JSON.parse(json)
  },
})()

/** On every command that writes: who makes the change, as the history records it. */
export const actorFlag = Flags.string({
  env: 'KV_ACTOR',
  description: 'Who makes this change, as the history records it [default: user@host]. Self-declared: an audit trail, not authentication.',
  helpValue: '<name>',
})

/** A revision to read at (`kv get`) or go back to (`kv revert --to`). */
export const revisionFlag = Flags.custom<number>({
  description: 'Read the value as it was right after this revision (see kv history).',
  helpValue: '<n>',
  parse: async (text) => parseRevision(text),
})()

/** How much history a namespace keeps. */
export const historyFlag = Flags.custom<HistoryRetention>({
  description: 'How much history to keep: off, an age (30d, 12h), a count of revisions (10000), or both (30d,10000) [default: 30d,100000].',
  helpValue: '<keep>',
  parse: async (text) => parseRetention(text),
})()
