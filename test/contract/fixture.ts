import {afterEach, expect} from 'vitest'

import {deleteNamespace, KvError, openNamespace, type Namespace, type OpenOptions} from '../../src/index.js'
import {manualClock} from '../helpers.js'
import {freshLocation} from '../store-under-test.js'

export type ManualClock = ReturnType<typeof manualClock>

/** 2026-01-01T00:00:00Z, the manual clock's default start. */
export const T0 = Date.UTC(2026, 0, 1)

const opened = new Set<Namespace>()

afterEach(async () => {
  const open = [...opened].reverse()
  opened.clear()
  for (const ns of open) await ns.close()
})

/** openNamespace, with the namespace closed after the test. */
export async function open(name: string, options: OpenOptions): Promise<Namespace> {
  const ns = await openNamespace(name, options)
  opened.add(ns)
  return ns
}

/** Closes a namespace now (and not again after the test). */
export async function close(ns: Namespace): Promise<void> {
  opened.delete(ns)
  await ns.close()
}

/**
 * A fresh namespace in a fresh place on the store under test (store-under-test.ts), with a manual clock,
 * and a way to reopen it. `location` opens other namespaces (or the same one) in the same place.
 */
export async function freshNamespace(name = 'test', options: Omit<OpenOptions, 'clock' | 'create' | 'store' | 'dataDir'> = {}) {
  const location = freshLocation()
  // Through an app's client every place is the same (store-under-test.ts): what an earlier run of a property
  // test left under this name goes first.
  if (typeof location.store === 'object') await deleteNamespace(name, location).catch((error: unknown) => expect((error as KvError).code).toBe('NAMESPACE_NOT_FOUND'))
  const clock = manualClock()
  const ns = await open(name, {...location, ...options, create: true, clock})
  return {
    ns,
    location,
    /** Where LMDB keeps the namespace (only tests of the LMDB store look inside). */
    dataDir: location.dataDir,
    clock,
    /** Closes `ns` and opens the same namespace again, with `withClock` (default: the same clock). */
    async reopen(withClock: ManualClock = clock): Promise<Namespace> {
      await close(ns)
      return open(name, {...location, clock: withClock})
    },
  }
}

/** Asserts that `promise` rejects with a KvError of `code`; returns the error for further checks. */
export async function expectKvError(promise: Promise<unknown>, code: string): Promise<KvError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught, `expected a KvError ${code}`).toBeInstanceOf(KvError)
  expect((caught as KvError).code).toBe(code)
  return caught as KvError
}

/** Byte-exact comparison that does not care whether either side is a Buffer or a plain Uint8Array. */
export function expectBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(actual).not.toBeNull()
  expect(actual).toBeInstanceOf(Uint8Array)
  const a = Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength)
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  expect(a.length, 'byte length').toBe(b.length)
  let firstDifference = -1
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      firstDifference = i
      break
    }
  }
  expect(firstDifference, 'index of the first differing byte').toBe(-1)
}

/** Zero-padded keys `${prefix}0000`, `${prefix}0001`, … that sort in numeric order. */
export function numberedKeys(count: number, prefix = 'k', width = 5): string[] {
  return Array.from({length: count}, (_, i) => `${prefix}${String(i).padStart(width, '0')}`)
}
