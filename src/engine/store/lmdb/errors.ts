import {KvError} from '../../errors.js'
import {reasonOf} from '../errors.js'

export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code
}

export function storageFailure(name: string, error: unknown): KvError {
  if (error instanceof KvError) return error
  const reason = reasonOf(error)
  const hint = isDiskFull(error) && !reason.includes('disk full') ? ' (is the disk full?)' : ''
  return new KvError('STORAGE_FAILURE', `storage failure in namespace "${name}": ${reason}${hint}`, {cause: error})
}

/** LMDB reports a short write on a full disk as EIO (5); ENOSPC is 28. */
function isDiskFull(error: unknown): boolean {
  const code = (error as {code?: unknown} | undefined)?.code
  return code === 5 || code === 28 || code === 'EIO' || code === 'ENOSPC' || /Input\/output error|No space left/.test(String(error))
}

/** Runs a storage call and turns whatever LMDB or the file system throws into STORAGE_FAILURE. */
export function storageCall<T>(name: string, call: () => T): T {
  try {
    const result = call()
    if (result instanceof Promise) {
      return result.catch(async (error: unknown) => {
        throw storageFailure(name, await commitFailureReason(error))
      }) as T
    }
    return result
  } catch (error) {
    throw storageFailure(name, error)
  }
}

/**
 * lmdb-js rejects a write whose commit failed (disk full, I/O error) with "Commit failed" and hands the
 * reason over in `commitError`, a promise that rejects a moment later. Left alone, that rejection is
 * unhandled and kills the process; awaited, it is the reason worth reporting.
 */
async function commitFailureReason(error: unknown): Promise<unknown> {
  const pending = (error as {commitError?: unknown} | undefined)?.commitError
  if (!(pending instanceof Promise)) return error
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve(error), 5000)
  })
  const reason = await Promise.race([pending.then(() => error, (cause: unknown) => cause), gaveUp])
  clearTimeout(timer)
  return reason
}

/** Whether `error` or one of its causes matches. */
export function causedBy(error: unknown, matches: (cause: Error) => boolean): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (matches(cause)) return true
  }
  return false
}
