import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    // CLI tests spawn real processes; a 25 MiB value through a pipe takes a moment on a busy CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
