/**
 * Orders, within one process, a long write (one that keeps an LMDB write transaction open across awaits:
 * an import) against everything else on the same environment. While such a transaction is open, lmdb-js
 * runs every read of the process through it (uncommitted data), joins other `transaction()` callbacks to it
 * and turns `transactionSync` into a child transaction; a second environment object on the same files would
 * even wait for the write lock its own thread holds. So in this process, work on the namespace waits while a
 * long write runs, and a long write waits for work already under way. Other processes are not affected:
 * they read the last commit and wait for LMDB's write lock as usual.
 */
export class ProcessGate {
  private longWrite: Promise<unknown> | undefined
  private inFlight = 0
  private idle: {promise: Promise<void>; resolve: () => void} | undefined

  /** A promise to wait for before a one-step operation (a read), or undefined when nothing holds the gate. */
  get pending(): Promise<unknown> | undefined {
    return this.longWrite
  }

  /** Runs work that spans awaits (a batched write, a snapshot) alongside other such work, never inside a long write. */
  async share<T>(work: () => Promise<T>): Promise<T> {
    await this.enter()
    try {
      return await work()
    } finally {
      this.leave()
    }
  }

  /** `share` for work that cannot be wrapped in one call (a generator): call `leave` once it is over. */
  async enter(): Promise<void> {
    while (this.longWrite) await this.longWrite.catch(() => {})
    this.inFlight++
  }

  leave(): void {
    if (--this.inFlight === 0 && this.idle) {
      this.idle.resolve()
      this.idle = undefined
    }
  }

  /** Runs a long write once nothing else of this process is under way on the namespace, and alone. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.longWrite) await this.longWrite.catch(() => {})
      else if (this.inFlight > 0) await this.whenIdle()
      else break
    }
    const running = work()
    this.longWrite = running
    try {
      return await running
    } finally {
      this.longWrite = undefined
    }
  }

  private whenIdle(): Promise<void> {
    if (this.idle === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((done) => (resolve = done))
      this.idle = {promise, resolve}
    }
    return this.idle.promise
  }
}

const gates = new Map<string, ProcessGate>()

/** The gate of a namespace's directory, shared by every store this process opens on it. */
export function gateFor(directory: string): ProcessGate {
  let gate = gates.get(directory)
  if (gate === undefined) {
    gate = new ProcessGate()
    gates.set(directory, gate)
  }
  return gate
}
