import {describe, expect, it} from 'vitest'

import {kvSandbox} from '../helpers.js'

describe('kv put / get', () => {
  it('round-trips a value through real processes', async () => {
    const {kv} = kvSandbox()
    const put = await kv(['put', 'greeting', 'hello', '--expires-in', '1h'])
    expect(put).toMatchObject({code: 0, text: '', stderr: ''})
    const get = await kv(['get', 'greeting'])
    expect(get).toMatchObject({code: 0, text: 'hello', stderr: ''})
  })
})
