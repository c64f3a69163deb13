import type {Change} from '../engine/types.js'
import {humanBytes} from './format.js'
import {printableKey, valueForJson} from './output.js'

/** What `kv history --json` prints for one change. */
export interface ChangeJson {
  revision: number
  key: string
  type: 'put' | 'delete'
  actor: string
  at: number
  operation: string
  revertedTo: number | null
  size: number | null
  expiresAt: number | null
  metadata: unknown
  value?: string | null
  base64?: boolean
}

export function changeForJson(change: Change): ChangeJson {
  const {value, ...fields} = change
  const json: ChangeJson = {
    revision: fields.revision,
    key: fields.key,
    type: fields.type,
    actor: fields.actor,
    at: fields.at,
    operation: fields.operation,
    revertedTo: fields.revertedTo,
    size: fields.size,
    expiresAt: fields.expiresAt,
    metadata: fields.metadata,
  }
  if (value === undefined) return json
  return value === null ? {...json, value: null, base64: false} : {...json, ...valueForJson(value)}
}

/** One change as the columns of a line: revision, time, actor, what happened, key, what was written. */
export function changeLine(change: Change): string[] {
  const what = change.operation === change.type ? change.type : `${change.type} (${change.operation}${change.revertedTo === null ? '' : ` to ${change.revertedTo}`})`
  const written: string[] = []
  if (change.type === 'put') {
    written.push(humanBytes(change.size!))
    if (change.expiresAt !== null) written.push(`expires ${isoTime(change.expiresAt)}`)
    if (change.metadata !== null) written.push(`metadata ${JSON.stringify(change.metadata)}`)
  }
  return [String(change.revision), isoTime(change.at), change.actor, what, printableKey(change.key), written.join(', ')]
}

/** A time as a person reads it in a log: ISO 8601, UTC, to the second. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
