import {describe, expect, inject, it} from 'vitest'

import {openNamespace} from '../../src/index.js'
import {collect, childEnv, KV_BIN, tempDir} from '../helpers.js'

/** Moving a namespace between stores is `kv export --store A | kv import - --store B`: byte for byte, both ways. */

/** Runs a shell pipeline in which `kv` is the built CLI. */
function sh(script: string, env: Record<string, string>) {
  return collect('sh', ['-c', `kv() { "$KV_NODE" "$KV_BIN" "$@"; }; ${script}`], childEnv({...env, KV_NODE: process.execPath, KV_BIN}))
}

describe('moving a namespace between LMDB and Redis', () => {
  it('export | import reproduces keys, bytes, expirations and metadata exactly, LMDB -> Redis -> LMDB', async () => {
    const dataDir = tempDir()
    const redis = `${inject('redis').url}?prefix=move-${process.pid}:`
    const local = await openNamespace('prod', {dataDir, create: true})
    const later = Date.now() + 86_400_000
    await local.put('text', 'plain')
    await local.put('unicode:日本語:😀', 'välue\nwith "quotes" and \u2028')
    await local.put('binary', Uint8Array.from({length: 256}, (_, i) => i))
    await local.put('empty', '')
    await local.put('expiring', 'soon', {expiration: later / 1000 + 0.25})
    await local.put('meta', '{"on":true}', {metadata: {owner: 'ana', tags: ['a', 'ü']}})
    await local.put('k'.repeat(512), 'longest key')
    await local.close()

    const env = {KV_DATA_DIR: dataDir, XDG_CONFIG_HOME: tempDir()}
    const there = await sh(`kv ns create prod --store '${redis}' && kv export -n prod | kv import - -n prod --store '${redis}'`, env)
    expect(there.code, there.stderr).toBe(0)
    const fromLocal = await sh('kv export -n prod', env)
    const fromRedis = await sh(`kv export -n prod --store '${redis}'`, env)
    expect(fromRedis.stdout.equals(fromLocal.stdout)).toBe(true)
    expect(fromLocal.text.split('\n').filter(Boolean)).toHaveLength(7)

    const back = await sh(`kv ns create copy && kv export -n prod --store '${redis}' | kv import - -n copy`, env)
    expect(back.code, back.stderr).toBe(0)
    expect((await sh('kv export -n copy', env)).stdout.equals(fromLocal.stdout)).toBe(true)
    const copy = await openNamespace('copy', {dataDir})
    expect(await copy.getEntry('expiring')).toMatchObject({value: Buffer.from('soon'), expiresAt: later + 250, metadata: null})
    expect(await copy.getWithMetadata('meta')).toEqual({value: '{"on":true}', metadata: {owner: 'ana', tags: ['a', 'ü']}})
    await copy.close()
  })
})
