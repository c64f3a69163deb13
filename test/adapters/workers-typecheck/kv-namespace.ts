// An opened namespace is a `KVNamespace` exactly as @cloudflare/workers-types declares it, so code written for
// a Worker type-checks unchanged when a Node process hands it one. Compiled by `npm test`, never run.
import {openKVNamespace} from '../../../dist/adapters/workers/index.js'

interface Env {
  KV: KVNamespace
}

/** Worker code, as it is written for a Worker. */
async function handle(env: Env): Promise<unknown[]> {
  const text: string | null = await env.KV.get('user:1')
  const json = await env.KV.get<{name: string}>('user:1', 'json')
  const bytes: ArrayBuffer | null = await env.KV.get('avatar', {type: 'arrayBuffer', cacheTtl: 60})
  const stream: ReadableStream | null = await env.KV.get('avatar', 'stream')
  const many: Map<string, string | null> = await env.KV.get(['a', 'b'])
  const manyJson: Map<string, {n: number} | null> = await env.KV.get<{n: number}>(['a', 'b'], 'json')
  const {value, metadata, cacheStatus} = await env.KV.getWithMetadata<{owner: string}>('flag')
  const withMetadata = await env.KV.getWithMetadata(['a', 'b'], {type: 'json'})
  const page = await env.KV.list<{owner: string}>({prefix: 'user:', limit: 100, cursor: ''})
  const next: string | undefined = page.list_complete ? undefined : page.cursor
  const expiration: number | undefined = page.keys[0]?.expiration
  const written: void = await env.KV.put('k', 'v', {expirationTtl: 60, metadata: {owner: 'ana'}})
  await env.KV.put('k', new Uint8Array([1]), {expiration: 2_000_000_000})
  await env.KV.delete('k')
  return [text, json?.name, bytes, stream, many, manyJson, value, metadata?.owner, cacheStatus, withMetadata, next, expiration, written]
}

export async function main(): Promise<void> {
  const KV = await openKVNamespace('default', {create: true})
  await handle({KV})
  await KV.close()
}
