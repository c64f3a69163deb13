'use strict'
// Bundled into dist/kv.cjs by scripts/build.mjs: what a deferred module's require() returns. The module itself is
// evaluated when one of its exports is first used, not when it is required, so a start that never uses it never
// pays for it. The stand-in forwards every operation to the real exports, evaluating them first.

/** Names of the deferred modules evaluated so far, in order: what KV_STARTUP_TRACE reports (src/cli/main.ts). */
const evaluated = []

/**
 * `esModule` is whether the module's exports say `__esModule: true` (TypeScript's CommonJS output does), asked at
 * build time, so that `__importStar` and `__importDefault` need not evaluate the module just to ask.
 */
function deferred(name, load, esModule) {
  let exports
  let loaded = false
  const real = () => {
    if (!loaded) {
      exports = load()
      loaded = true
      evaluated.push(name)
    }
    return exports
  }
  // A function target, so that a deferred function (`module.exports = fn`) can be called and constructed; bound,
  // so that it has no non-configurable own property (`prototype`), which the proxy would have to report.
  return new Proxy(function () {}.bind(), {
    get: (_, key) => (key === '__esModule' ? esModule || undefined : Reflect.get(real(), key)),
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key)
      // A proxy may report a property its target lacks only as configurable.
      return descriptor && {...descriptor, configurable: true}
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(Object(real())),
    apply: (_, self, args) => Reflect.apply(real(), self, args),
    construct: (_, args, newTarget) => Reflect.construct(real(), args, newTarget),
  })
}

module.exports = {deferred, evaluated}
