/**
 * Every failure the engine reports is a KvError with a stable `code`. Callers branch on the code, never on
 * the message; the CLI maps codes to exit codes in one table (src/cli/exit-codes.ts).
 */
export type KvErrorCode =
  | 'KEY_INVALID'
  | 'KEY_TOO_LONG'
  | 'KEY_NOT_FOUND'
  | 'VALUE_INVALID'
  | 'VALUE_TOO_LARGE'
  | 'METADATA_INVALID'
  | 'METADATA_TOO_LARGE'
  | 'VERSION_INVALID'
  | 'TTL_INVALID'
  | 'LIMIT_INVALID'
  | 'CURSOR_INVALID'
  | 'REVISION_INVALID'
  | 'REVISION_COMPACTED'
  | 'RETENTION_INVALID'
  | 'ACTOR_INVALID'
  | 'NAMESPACE_NAME_INVALID'
  | 'NAMESPACE_NOT_FOUND'
  | 'NAMESPACE_EXISTS'
  | 'NAMESPACE_CLOSED'
  | 'CONFLICT'
  | 'USAGE'
  | 'INPUT_UNREADABLE'
  | 'CONFIG_INVALID'
  | 'STORE_URL_INVALID'
  | 'STORAGE_FAILURE'
  | 'IMPORT_INCOMPLETE'

export class KvError extends Error {
  readonly code: KvErrorCode

  constructor(code: KvErrorCode, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'KvError'
    this.code = code
  }
}

export function isKvError(error: unknown, code?: KvErrorCode): error is KvError {
  return error instanceof KvError && (code === undefined || error.code === code)
}
