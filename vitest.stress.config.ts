import {defineConfig} from 'vitest/config'

/**
 * `npm run test:stress`: the long versions of the reliability tests (many more kills and model runs, a
 * 50,000-key argv, more keys per concurrent writer, 200 rounds of racing puts) and the 5M-key scale test,
 * one file at a time so the figures they print are not skewed by each other.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    env: {
      CRASH_KILLS: process.env.CRASH_KILLS ?? '60',
      FC_RUNS: process.env.FC_RUNS ?? '1000',
      KV_HUGE_ARGV_KEYS: process.env.KV_HUGE_ARGV_KEYS ?? '50000',
      CONCURRENCY_KEYS: process.env.CONCURRENCY_KEYS ?? '200',
      RACE_ROUNDS: process.env.RACE_ROUNDS ?? '200',
    },
  },
})
