import {describe, inject, it} from 'vitest'

import {concurrentWritersAndReaders, INCREMENTERS, READERS, WRITERS} from '../reliability/concurrency-scenario.js'

describe('several processes on one namespace of a standalone Redis', () => {
  it(`${WRITERS} writers, ${INCREMENTERS} incrementers and ${READERS} readers at once: no lost write, no error, no torn value`, async () => {
    const store = `${inject('redis').url}?prefix=concurrency-${process.pid}:`
    console.log(`concurrency on Redis: ${await concurrentWritersAndReaders({store})}`)
  }, 300_000)
})
