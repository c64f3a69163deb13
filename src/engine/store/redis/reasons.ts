import {createConnection} from 'node:net'

import {KvError} from '../../errors.js'
import {reasonOf} from '../errors.js'
import {aclSetUser} from './acl.js'

/**
 * Why talking to Redis failed, in the words a person wants: what happened and how to fix it, one line, never
 * a password. ioredis's own words ("Reached the max retries per request limit…", "Connection is closed.")
 * name its options, not the problem.
 */

/** Who kv is on a server, for a fix that names the user's missing permissions. */
export interface Identity {
  /** The ACL user ("default" when the URL names none). */
  user: string
  /** The key prefix of kv's keys on the server. */
  prefix: string
}

/** What the engine reports for a failed command on the server `where` names: one line, the cause, the fix. */
export function commandFailure(error: unknown, where: string, identity: Identity, cluster: boolean): KvError {
  if (error instanceof KvError) return error
  const reason = reasonOf(error)
  if (reason.startsWith('KVGONE')) return new KvError('NAMESPACE_NOT_FOUND', 'the namespace was deleted while it was open')
  if (isLostConnection(reason)) return new KvError('STORAGE_FAILURE', `lost the connection to the Redis server at ${where} (is it running?)`, {cause: error})
  if (isPermissionDenied(reason)) return new KvError('STORAGE_FAILURE', `storage failure on ${where}: ${permissionFailure(reason, identity, cluster)}`, {cause: error})
  const hint = /Command timed out/.test(reason) ? ' (raise command_timeout in the URL if the server is this slow)' : ''
  return new KvError('STORAGE_FAILURE', `storage failure on ${where}: ${reason.replace(/^(ERR |KVSTAGE )/, '')}${hint}`, {cause: error})
}

/** A command refused by the user's ACL, sent directly (NOPERM) or from a script (Redis 7.0 does not name it there). */
export function isPermissionDenied(reason: string): boolean {
  return /NOPERM|no permissions to|can't run this command|can't access|ACL failure/i.test(reason)
}

/** What a permission refused means to kv, and the ACL command that fixes it. */
export function permissionFailure(reason: string, {user, prefix}: Identity, cluster: boolean): string {
  // Inside a script, Redis 7.0 names neither the command nor the key (only ACL LOG does), and the script's SHA
  // means nothing to the user: the fix covers every command kv needs.
  const refused = reason.replace(/^(ERR |NOPERM )/, '').replace(/ script: [0-9a-f]{40}.*$/, '').replace(/\.$/, '')
  return `the Redis user "${user}" lacks a permission kv needs (${refused}); grant kv's commands and keys with: ${aclSetUser(user, prefix, {cluster})}`
}

/** The connection went away under a command: the server stopped, restarted or closed it. */
export function isLostConnection(reason: string): boolean {
  return /max retries per request|Connection is closed|ECONNRESET|EPIPE|Stream isn't writeable|Socket closed unexpectedly/.test(reason)
}

/** ioredis's connect errors, in the words a person wants (the server and why), never with a password. */
export function describeConnectFailure(error: unknown): string {
  const reason = reasonOf(error)
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/.test(reason)) return `authentication failed (${reason})`
  if (/ECONNREFUSED/.test(reason)) return 'connection refused (is the server running?)'
  if (/ETIMEDOUT|timed out/i.test(reason)) return `${/timed out after/.test(reason) ? reason : 'timed out'} (raise connect_timeout in the URL if the server is slow to answer)`
  if (/ENOENT/.test(reason)) return 'no such socket'
  if (/certificate|SSL|TLS|wrong version number|EPROTO/i.test(reason)) return `TLS failure (${reason})`
  return reason
}

export const NOT_TLS = 'the server does not speak TLS (use redis:// for a server without TLS, or enable TLS on it)'

/**
 * Whether a plain Redis server answers on host:port: a PING gets a RESP reply (+PONG, or -NOAUTH …). A TLS
 * client cannot tell that by itself: a plain server holds its ClientHello as the start of a command and says
 * nothing until the connect timeout, or answers with an error the TLS layer calls "wrong version number".
 */
export function speaksPlainRedis(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host, port})
    const done = (plain: boolean) => {
      socket.destroy()
      resolve(plain)
    }
    socket.setTimeout(ms, () => done(false))
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
    socket.once('data', (data: Buffer) => done(data[0] === 0x2b || data[0] === 0x2d))
    socket.write('PING\r\n')
  })
}
