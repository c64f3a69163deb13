import {flush, run} from '@oclif/core'

import {reportFailure} from './failure.js'

/** The CLI: oclif runs the command named in argv; bin/run.js loads this from the bundle. */
export async function main(argv: string[], root: string): Promise<void> {
  try {
    // kv has no user plugins. oclif would otherwise load any listed in $KV_DATA_DIR/package.json, since it
    // reads KV_DATA_DIR as its own data directory: a data directory must never run code.
    await run(argv, {root, userPlugins: false})
    await flush()
  } catch (error) {
    // Commands report their own errors; what arrives here is oclif's (unknown command, and the like).
    reportFailure(error, {json: false})
  }
}
