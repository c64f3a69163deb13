// Opens a namespace on the store URL it is given (argv[2]), closes it when the open succeeds, then reports on
// one JSON line what is still keeping the process alive once every timer ioredis might have set with a
// delay of zero has run: {opened, error?, resources}. It never calls process.exit: the process ends when
// nothing is left, and the test times that too.
import {openNamespace} from '../../../src/index.js'

let opened = false
let error: string | undefined
try {
  const namespace = await openNamespace('default', {store: process.argv[2], create: true})
  opened = true
  await namespace.close()
} catch (caught) {
  error = (caught as Error).message
}
// Timers fire in the order they fall due: one created now for 20 ms runs after any that were due sooner. Its
// own Timeout counts as active while it runs: the resources are read in the turn after it.
setTimeout(() => {
  setImmediate(() => {
    const resources = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap')
    process.stdout.write(`${JSON.stringify({opened, error, resources, at: Date.now()})}\n`)
  })
}, 20)
