import {KvError} from '../errors.js'

/** Errors every store reports the same way, whatever the backend. */

export function namespaceNotFound(name: string): KvError {
  return new KvError('NAMESPACE_NOT_FOUND', `namespace "${name}" does not exist (create it with: kv ns create ${name})`)
}

export function namespaceExists(name: string): KvError {
  return new KvError('NAMESPACE_EXISTS', `namespace "${name}" already exists`)
}

/** The first line of what a backend threw, for a one-line message. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error)
}

/** A namespace stored in a format this kv does not know: refused, never misread. */
export function formatTooNew(name: string, found: number, known: number): KvError {
  return new KvError(
    'STORAGE_FAILURE',
    `namespace "${name}" is stored in format ${found}, newer than this kv understands (${known}): upgrade kv to use it`,
  )
}
