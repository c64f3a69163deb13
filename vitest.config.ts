import {defineConfig} from 'vitest/config'

/**
 * `npm test` runs three projects in one run:
 * - lmdb: every test, on local LMDB namespaces;
 * - redis: the store contract (test/contract/), the CLI tests that are not about local files, the
 *   ecosystem adapters (test/adapters/) and the Redis-only tests (test/redis/), on a standalone redis-server
 *   the run starts itself;
 * - cluster: the store contract and the Cluster-only tests on a 3-master Redis Cluster it starts itself;
 * - redis-client, cluster-client: the store contract through an ioredis client or Cluster the app hands over
 *   (`{store: client}`), on servers each test file starts (test/redis/app-client-setup.ts).
 * test/store-under-test.ts reads KV_TEST_STORE; test/redis/global-setup.ts starts the servers (it needs
 * redis-server and redis-cli: apt-get install redis-server).
 */
const OUT_OF_NPM_TEST = ['test/bench/**', 'test/reliability/stress/**', 'node_modules/**']
/** CLI tests about the local data dir itself (its files, modes, damage): LMDB only. */
const LOCAL_FILE_TESTS = ['test/cli/files.test.ts', 'test/cli/local-store.test.ts']

export default defineConfig({
  test: {
    // CLI tests spawn real processes; a 25 MiB value through a pipe takes a moment on a busy CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'lmdb',
          include: ['test/**/*.test.ts'],
          exclude: [...OUT_OF_NPM_TEST, 'test/redis/**'],
          env: {KV_TEST_STORE: 'lmdb'},
        },
      },
      {
        extends: true,
        test: {
          name: 'redis',
          include: [
            'test/contract/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/adapters/**/*.test.ts',
            'test/redis/**/*.test.ts',
            'test/reliability/history-model.test.ts',
          ],
          exclude: [...OUT_OF_NPM_TEST, ...LOCAL_FILE_TESTS, 'test/redis/cluster/**', 'test/redis/app-client.test.ts'],
          env: {KV_TEST_STORE: 'redis'},
          globalSetup: ['test/redis/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/contract/**/*.test.ts', 'test/redis/cluster/**/*.test.ts'],
          exclude: OUT_OF_NPM_TEST,
          env: {KV_TEST_STORE: 'cluster'},
          globalSetup: ['test/redis/global-setup.ts'],
        },
      },
      ...(['redis-client', 'cluster-client'] as const).map((name) => ({
        extends: true as const,
        test: {
          name,
          include: ['test/contract/**/*.test.ts', 'test/redis/app-client.test.ts'],
          exclude: OUT_OF_NPM_TEST,
          env: {KV_TEST_STORE: name},
          setupFiles: ['test/redis/app-client-setup.ts'],
        },
      })),
    ],
  },
})
