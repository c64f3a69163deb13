import {createRequire} from 'node:module'

const requireHere = createRequire(import.meta.url)

/**
 * Loads a heavy dependency (prompts, tables, progress bars, conf) only when a command gets to need it, so it
 * never costs start-up time. With require(), not import(): the bundled CLI is compiled from a V8 code cache,
 * and Node 20 drops a cached script's dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
 * Node 20.19+ requires ES modules too (conf is one), giving their namespace object. Call it as
 * `loadLazily<typeof import('name')>('name')`.
 */
export function loadLazily<T>(specifier: string): T {
  return requireHere(specifier) as T
}
