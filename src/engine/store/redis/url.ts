import {KvError} from '../../errors.js'

/** A Redis / Valkey server (or the seed nodes of a Cluster) as a store URL names it. No client is loaded here. */
export interface RedisTarget {
  tls: boolean
  /** TCP nodes: one server, or several seed nodes of a Cluster. Empty for a unix socket. */
  nodes: {host: string; port: number}[]
  /** Path of a unix socket. */
  socket?: string
  username?: string
  password?: string
  db: number
  /** Prefix of every key kv writes on the server; several kv installations may share one server. */
  prefix: string
  connectTimeoutMs: number
  commandTimeoutMs: number
  /** The URL as it may be shown anywhere: the password replaced by "***". */
  display: string
}

export const DEFAULT_PORT = 6379
export const DEFAULT_PREFIX = 'kv:'
/** How long connecting (and finding a Cluster ready) may take before it is a storage failure. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000
/** How long one command may take; an import's chunks and a 25 MiB value stay far below it. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15_000

const SCHEMES = ['redis', 'rediss', 'redis+unix', 'unix'] as const
const PARAMS = new Set(['prefix', 'connect_timeout', 'command_timeout', 'db'])

export const STORE_URL_FORMS = 'local, redis://[user:password@]host[:port][,host:port...][/db], rediss://… (TLS) or redis+unix:///path/to.sock'

/** Parses a store URL; anything malformed is STORE_URL_INVALID (the CLI's exit 2), never echoing a password. */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]
  if (scheme === undefined) throw invalid(`"${shownWithoutPassword(url)}" is not a store URL`)
  if (!(SCHEMES as readonly string[]).includes(scheme.toLowerCase())) {
    throw invalid(`unknown store scheme "${scheme}:"`)
  }
  const unix = scheme.toLowerCase() === 'redis+unix' || scheme.toLowerCase() === 'unix'
  let rest = url.slice(scheme.length + 3)
  const question = rest.indexOf('?')
  const query = question === -1 ? '' : rest.slice(question + 1)
  if (question !== -1) rest = rest.slice(0, question)

  // The user and password end at the last "@" before the path (a TCP URL's /db, a socket's absolute path).
  const slash = rest.indexOf('/')
  const at = rest.lastIndexOf('@', slash === -1 ? rest.length : slash)
  const userinfo = at === -1 ? undefined : rest.slice(0, at)
  rest = at === -1 ? rest : rest.slice(at + 1)
  const [username, password] = parseUserinfo(userinfo)

  const target: Omit<RedisTarget, 'display'> = {
    tls: scheme.toLowerCase() === 'rediss',
    nodes: [],
    username,
    password,
    db: 0,
    prefix: DEFAULT_PREFIX,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
  }
  if (unix) {
    if (!rest.startsWith('/') || rest.length < 2) throw invalid('a redis+unix:// URL names the socket by its absolute path: redis+unix:///run/redis.sock')
    target.socket = decodeURIComponent(rest)
  } else {
    const pathStart = rest.indexOf('/')
    const hosts = pathStart === -1 ? rest : rest.slice(0, pathStart)
    const path = pathStart === -1 ? '' : rest.slice(pathStart + 1)
    target.nodes = hosts.split(',').map(parseHost)
    if (path !== '') target.db = parseDb(path)
  }
  for (const [name, value] of new URLSearchParams(query)) {
    if (!PARAMS.has(name)) throw invalid(`unknown store URL option "${name}" (known: ${[...PARAMS].join(', ')})`)
    if (name === 'prefix') target.prefix = parsePrefix(value)
    else if (name === 'db') target.db = parseDb(value)
    else if (name === 'connect_timeout') target.connectTimeoutMs = parseTimeout(name, value)
    else target.commandTimeoutMs = parseTimeout(name, value)
  }
  if (target.db !== 0 && target.nodes.length > 1) throw invalid('a database number cannot be combined with several Cluster nodes (a Cluster has only database 0)')
  return {...target, display: display(scheme.toLowerCase(), target, query)}
}

function parseUserinfo(userinfo: string | undefined): [string | undefined, string | undefined] {
  if (userinfo === undefined) return [undefined, undefined]
  const colon = userinfo.indexOf(':')
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      throw invalid('the user or password in the store URL is not valid percent-encoding')
    }
  }
  if (colon === -1) return [decode(userinfo) || undefined, undefined]
  return [decode(userinfo.slice(0, colon)) || undefined, decode(userinfo.slice(colon + 1))]
}

function parseHost(text: string): {host: string; port: number} {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/]+)(?::(\d{1,5}))?$/.exec(text)
  if (!match) throw invalid(`"${text}" is not a host[:port]`)
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2])
  if (port < 1 || port > 65_535) throw invalid(`port ${match[2]} is out of range (1 to 65535)`)
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1]
  return {host, port}
}

function parseDb(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(`"${text}" is not a database number`)
  return Number(text)
}

function parsePrefix(text: string): string {
  if (!/^[\x21-\x7a|~]{1,64}$/.test(text)) {
    throw invalid('prefix must be 1 to 64 printable ASCII characters without spaces, "{" or "}" (they would break Cluster hash tags)')
  }
  return text
}

function parseTimeout(name: string, text: string): number {
  const seconds = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 3600) throw invalid(`${name} must be a number of seconds from 0 (exclusive) to 3600, got "${text}"`)
  return Math.round(seconds * 1000)
}

function display(scheme: string, target: Omit<RedisTarget, 'display'>, query: string): string {
  const user = target.username ?? ''
  const auth = target.password !== undefined ? `${encodeURIComponent(user)}:***@` : user ? `${encodeURIComponent(user)}@` : ''
  const where = target.socket ?? target.nodes.map(({host, port}) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',')
  const db = target.socket === undefined && target.db !== 0 ? `/${target.db}` : ''
  return `${scheme}://${auth}${where}${db}${query ? `?${query}` : ''}`
}

/** A URL as it may appear in an error about itself: anything between "//" and "@" is hidden. */
function shownWithoutPassword(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@')
}

function invalid(problem: string): KvError {
  return new KvError('STORE_URL_INVALID', `invalid store URL: ${problem}; use ${STORE_URL_FORMS}`)
}
