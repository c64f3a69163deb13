import type {KvErrorCode} from '../engine/errors.js'

/** The CLI's exit codes, documented in the README and in every command's --help. */
/** `internal` is for bugs: EX_SOFTWARE from sysexits.h. `cancelled` is what a shell reports after SIGINT. */
export const EXIT = {ok: 0, notFound: 1, invalid: 2, conflict: 3, storage: 4, incomplete: 5, internal: 70, cancelled: 130} as const

const EXIT_BY_CODE: Record<KvErrorCode, number> = {
  KEY_NOT_FOUND: EXIT.notFound,
  NAMESPACE_NOT_FOUND: EXIT.notFound,
  REVISION_COMPACTED: EXIT.notFound,
  KEY_INVALID: EXIT.invalid,
  KEY_TOO_LONG: EXIT.invalid,
  VALUE_INVALID: EXIT.invalid,
  VALUE_TOO_LARGE: EXIT.invalid,
  TTL_INVALID: EXIT.invalid,
  METADATA_INVALID: EXIT.invalid,
  METADATA_TOO_LARGE: EXIT.invalid,
  VERSION_INVALID: EXIT.invalid,
  STORE_URL_INVALID: EXIT.invalid,
  LIMIT_INVALID: EXIT.invalid,
  CURSOR_INVALID: EXIT.invalid,
  REVISION_INVALID: EXIT.invalid,
  RETENTION_INVALID: EXIT.invalid,
  ACTOR_INVALID: EXIT.invalid,
  NAMESPACE_NAME_INVALID: EXIT.invalid,
  USAGE: EXIT.invalid,
  INPUT_UNREADABLE: EXIT.invalid,
  CONFIG_INVALID: EXIT.invalid,
  NAMESPACE_EXISTS: EXIT.conflict,
  CONFLICT: EXIT.conflict,
  STORAGE_FAILURE: EXIT.storage,
  IMPORT_INCOMPLETE: EXIT.incomplete,
  // A command using a namespace it closed is a bug.
  NAMESPACE_CLOSED: EXIT.internal,
}

export function exitCodeFor(code: KvErrorCode): number {
  return EXIT_BY_CODE[code]
}

export const EXIT_CODES_HELP = [
  'EXIT CODES',
  '  0  success',
  '  1  not found (key or namespace; a revision older than the history kept)',
  '  2  invalid input or usage',
  '  3  conflict (namespace already exists; key exists or changed meanwhile)',
  '  4  storage failure (cannot open, locked, corrupt, disk full; server down, refused or too slow)',
  '  5  an import was committed but the server stopped applying it (Redis): the next write finishes it',
  '  70 internal error (a bug: rerun with KV_DEBUG=1 and report the output)',
  '  130 cancelled at a prompt (Ctrl-C)',
].join('\n')
