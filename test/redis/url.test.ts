import {describe, expect, it} from 'vitest'

import {KvError} from '../../src/index.js'
import {parseRedisUrl} from '../../src/engine/store/redis/url.js'

function invalid(url: string): KvError {
  try {
    parseRedisUrl(url)
  } catch (error) {
    expect(error).toBeInstanceOf(KvError)
    expect((error as KvError).code).toBe('STORE_URL_INVALID')
    return error as KvError
  }
  throw new Error(`${url} was accepted`)
}

describe('store URLs', () => {
  it('reads host, port, database, user and password; shows the URL with the password hidden', () => {
    const target = parseRedisUrl('redis://kv:s3cr%40t@cache.internal:6380/2')
    expect(target).toMatchObject({tls: false, nodes: [{host: 'cache.internal', port: 6380}], db: 2, username: 'kv', password: 's3cr@t', prefix: 'kv:'})
    expect(target.display).toBe('redis://kv:***@cache.internal:6380/2')
    expect(parseRedisUrl('redis://:pw@h').display).toBe('redis://:***@h:6379')
    expect(parseRedisUrl('redis://h').display).toBe('redis://h:6379')
  })

  it('rediss:// is TLS; a unix socket is redis+unix:// or unix://', () => {
    expect(parseRedisUrl('rediss://h:6390')).toMatchObject({tls: true, nodes: [{host: 'h', port: 6390}]})
    const socket = parseRedisUrl('redis+unix://:pw@/run/redis/redis.sock?db=3')
    expect(socket).toMatchObject({socket: '/run/redis/redis.sock', nodes: [], db: 3, password: 'pw'})
    expect(socket.display).toBe('redis+unix://:***@/run/redis/redis.sock?db=3')
    expect(parseRedisUrl('unix:///tmp/r.sock').socket).toBe('/tmp/r.sock')
  })

  it('takes several Cluster seed nodes, IPv6 hosts, a prefix and timeouts', () => {
    const target = parseRedisUrl('redis://a:7000,b:7001,[::1]:7002?prefix=team-a:&connect_timeout=2.5&command_timeout=30')
    expect(target.nodes).toEqual([
      {host: 'a', port: 7000},
      {host: 'b', port: 7001},
      {host: '::1', port: 7002},
    ])
    expect(target).toMatchObject({prefix: 'team-a:', connectTimeoutMs: 2500, commandTimeoutMs: 30_000})
    expect(target.display).toBe('redis://a:7000,b:7001,[::1]:7002?prefix=team-a:&connect_timeout=2.5&command_timeout=30')
  })

  it('refuses unknown schemes, malformed hosts, ports, databases, options and prefixes, naming the forms it takes', () => {
    expect(invalid('memcached://h').message).toMatch(/^invalid store URL: unknown store scheme "memcached:"; use local, redis:\/\//)
    expect(invalid('cache.internal:6379').message).toMatch(/is not a store URL/)
    invalid('redis://h:0')
    invalid('redis://h:65536')
    invalid('redis://h:port')
    invalid('redis://h/db0')
    invalid('redis://')
    invalid('redis://h?colour=red')
    invalid('redis://h?prefix=a{b}')
    invalid('redis://h?prefix=')
    invalid('redis://h?connect_timeout=0')
    invalid('redis://h?command_timeout=-1')
    invalid('redis://a:1,b:2/3')
    invalid('redis+unix://relative.sock')
  })

  it('never repeats a password in an error', () => {
    for (const url of ['nope://user:hunter2@h', 'redis://user:hunter2@h:99999', 'redis://user:hunter2@h?x=1', 'redis://user:hunter2%zz@h']) {
      expect(invalid(url).message).not.toContain('hunter2')
    }
  })
})
