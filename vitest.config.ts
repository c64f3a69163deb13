import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The 5M-key scale test runs only in `npm run test:stress` (vitest.stress.config.ts).
    exclude: ['test/bench/**', 'test/reliability/stress/**', 'node_modules/**'],
    // CLI tests spawn real processes; a 25 MiB value through a pipe takes a moment on a busy CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One standalone Redis and one Redis Cluster for the run, read in tests with inject('redis') and
    // inject('redisCluster'). Needs redis-server and redis-cli (apt-get install redis-server).
    globalSetup: ['test/redis/global-setup.ts'],
  },
})
