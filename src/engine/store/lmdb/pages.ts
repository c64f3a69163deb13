import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

import type {Findings, LmdbCheckDetails} from '../check.js'

/**
 * A walk of every page of an LMDB data file with plain file reads: it never maps the file and never calls
 * LMDB, so a damaged page is reported, never crashed on. The layout is that of the LMDB lmdb-js 3.5.6
 * bundles (dependencies/lmdb/libraries/liblmdb/mdb.c, data version 2, 64-bit page numbers):
 *
 *   page header (24 bytes)  pgno u64 | txnid u64 | pad u16 | flags u16 | lower u16, upper u16 (or u32 overflow page count)
 *   branch / leaf page      u16 node offsets (relative to byte 24) from byte 24 to 24+lower; nodes from 24+upper to the end
 *   node (8 bytes + key)    data size u32 (branch: child pgno, 48 bits with the flags word) | flags u16 | key size u16 | key | data
 *   big data (F_BIGDATA)    the node holds {pgno u64, txnid u64, pages u64}: the value starts 24 bytes into page pgno
 *   meta page (0 and 1)     magic, version, address, mapsize, the free-page and main MDB_db (48 bytes each), last page, txnid
 *   MDB_db                  pad u32 | flags u16 | depth u16 | branch, leaf, overflow pages u64 | entries u64 | root u64
 *
 * Named databases are F_SUBDATA entries of the main database (key: the name, data: their MDB_db). The free
 * database maps a transaction id to the pages it freed: u64 count, then entries, where 0 is an empty slot and
 * -n is followed by the first page of a run of n (lmdb-js's block extension of LMDB's ID lists).
 *
 * What it checks: each meta page; that every page of every tree is inside the file and below the last
 * allocated page, names itself in its header, has the type its depth requires, sane bounds and nodes inside
 * the page, keys in order and within its parent's separators; overflow pages' headers and sizes; each
 * database's entry, page and depth counts; and that every page is reached once, either in use or free.
 */

const PAGE_HEADER = 24
const NODE_HEADER = 8
const OVERFLOW_REF = 24
const DB_RECORD = 48
const P_BRANCH = 0x01
const P_LEAF = 0x02
const P_OVERFLOW = 0x04
const P_META = 0x08
const P_LEAF2 = 0x20
const P_SUBP = 0x40
const PAGE_TYPES = P_BRANCH | P_LEAF | P_OVERFLOW | P_META | P_LEAF2 | P_SUBP
const F_BIGDATA = 0x01
const F_SUBDATA = 0x02
const MAGIC = 0xbeefc0de
const DATA_VERSION = 2
/** LMDB's cursor stack: no tree is deeper. */
const MAX_DEPTH = 32
const NO_PAGE = 2 ** 64 - 1
/** The largest value LMDB can hold is 4 GiB (its node's size field is 32 bits): so many pages at most. */
const MAX_OVERFLOW_PAGES = 2 ** 32 / 512 + 1
/** How often (in pages) the walk reports progress. */
const PROGRESS_EVERY = 20_000
/** The page size kv creates environments with (store/lmdb/environment.ts), tried when meta page 0 is damaged. */
const KV_PAGE_SIZE = 4096

const META = {magic: 24, version: 28, dbs: [48, 96], lastPage: 144, txnId: 152} as const
const DB = {flags: 4, depth: 6, branchPages: 8, leafPages: 16, overflowPages: 24, entries: 32, root: 40} as const

interface DbRecord {
  flags: number
  depth: number
  branchPages: number
  leafPages: number
  overflowPages: number
  entries: number
  root: number
}

interface Meta {
  pageSize: number
  txnId: number
  lastPage: number
  free: DbRecord
  main: DbRecord
}

type Database = LmdbCheckDetails['databases'][number]

export type PageWalk = Omit<LmdbCheckDetails, 'store'>

/** Owner codes of the page map: 0 unreached, FREE on the free list, META, else 1 + the database's index. */
const FREE = 255
const META_OWNER = 254

/**
 * The newest commit's transaction id, from the meta pages (0 when neither is readable): what tells whether
 * another process committed while the file was being read.
 */
export function newestTxnId(path: string): number {
  const fd = openSync(path, 'r')
  try {
    const metas = readMetas(fd)
    return Math.max(0, ...metas.map((meta) => ('txnId' in meta ? meta.txnId : 0)))
  } finally {
    closeSync(fd)
  }
}

/** Walks the newest commit's pages of `path`; problems go to `findings`. Undefined when no meta page is usable. */
export function walkPages(path: string, findings: Findings, progress: (pages: number) => void = () => {}): PageWalk | undefined {
  const fd = openSync(path, 'r')
  try {
    return new Walker(fd, findings, progress).walk()
  } finally {
    closeSync(fd)
  }
}

type MetaRead = Meta | {damaged: string}

function readMetas(fd: number): MetaRead[] {
  const first = readMeta(fd, 0, undefined)
  const pageSize = 'pageSize' in first ? first.pageSize : KV_PAGE_SIZE
  return [first, readMeta(fd, 1, pageSize)]
}

function readMeta(fd: number, index: 0 | 1, pageSize: number | undefined): MetaRead {
  const bytes = readAt(fd, index * (pageSize ?? 0), 160)
  if (bytes.length < 160) return {damaged: 'the file ends inside it'}
  if (u64(bytes, 0) !== index) return {damaged: `its header names page ${u64(bytes, 0)}`}
  if ((bytes.readUInt16LE(18) & PAGE_TYPES) !== P_META) return {damaged: `it is not marked as a meta page (flags 0x${bytes.readUInt16LE(18).toString(16)})`}
  if (bytes.readUInt32LE(META.magic) !== MAGIC) return {damaged: 'its magic number is wrong'}
  if ((bytes.readUInt32LE(META.version) & 0xffff) !== DATA_VERSION) return {damaged: `it has data version ${bytes.readUInt32LE(META.version) & 0xffff}, not ${DATA_VERSION}`}
  const size = bytes.readUInt32LE(META.dbs[0])
  if (size < 512 || size > 65536 || (size & (size - 1)) !== 0) return {damaged: `its page size ${size} is impossible`}
  if (pageSize !== undefined && size !== pageSize) return {damaged: `its page size ${size} differs from meta page 0's ${pageSize}`}
  const meta = {pageSize: size, txnId: u64(bytes, META.txnId), lastPage: u64(bytes, META.lastPage), free: dbRecord(bytes, META.dbs[0]), main: dbRecord(bytes, META.dbs[1])}
  if (meta.lastPage < 1) return {damaged: `its last page ${meta.lastPage} is impossible`}
  for (const db of [meta.free, meta.main]) {
    if (db.root !== NO_PAGE && (db.root < 2 || db.root > meta.lastPage)) return {damaged: `it names root page ${db.root}, outside pages 2 to ${meta.lastPage}`}
  }
  return meta
}

function dbRecord(bytes: Buffer, at: number): DbRecord {
  return {
    flags: bytes.readUInt16LE(at + DB.flags),
    depth: bytes.readUInt16LE(at + DB.depth),
    branchPages: u64(bytes, at + DB.branchPages),
    leafPages: u64(bytes, at + DB.leafPages),
    overflowPages: u64(bytes, at + DB.overflowPages),
    entries: u64(bytes, at + DB.entries),
    root: u64(bytes, at + DB.root),
  }
}

/** A u64 as a number: exact up to 2^53, and page numbers and counts never come near that in a sound file. */
function u64(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 2 ** 32
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read)
    if (n === 0) break
    read += n
  }
  return buffer.subarray(0, read)
}

/** A page waiting to be visited, with the key range its parent's separators allow it. */
interface Visit {
  pgno: number
  level: number
  low: Buffer | undefined
  high: Buffer | undefined
}

type KeyOrder = (a: Buffer, b: Buffer) => number

/** LMDB orders the free database's keys (transaction ids) as native integers, every other database byte by byte. */
const byInteger: KeyOrder = (a, b) => (a.length === 8 && b.length === 8 ? Math.sign(u64(a, 0) - u64(b, 0)) : Buffer.compare(a, b))

interface LeafNode {
  key: Buffer
  flags: number
  /** The data, when it is in the node (not on overflow pages). */
  data: Buffer | undefined
  size: number
  /** The first overflow page of big data. */
  overflow: number | undefined
}

class Walker {
  private pageSize = 0
  private fileBytes = 0
  private filePages = 0
  private lastPage = 0
  private owner = new Uint8Array(0)
  private readonly names: string[] = []
  private freeListed = 0
  private freeTwice = 0

  private visited = 0

  constructor(
    private readonly fd: number,
    private readonly findings: Findings,
    private readonly progress: (pages: number) => void,
  ) {}

  walk(): PageWalk | undefined {
    const metas = readMetas(this.fd)
    const usable = metas.filter((meta): meta is Meta => 'txnId' in meta)
    metas.forEach((meta, index) => {
      if ('damaged' in meta) this.findings.problem('file', `meta page ${index} is damaged: ${meta.damaged}`)
    })
    if (usable.length === 0) return undefined
    const meta = usable.reduce((a, b) => (b.txnId > a.txnId ? b : a))
    this.pageSize = meta.pageSize
    this.fileBytes = fstatSync(this.fd).size
    this.filePages = Math.floor(this.fileBytes / this.pageSize)
    if (this.fileBytes % this.pageSize !== 0) {
      this.findings.problem('file', `data.mdb is ${this.fileBytes} bytes, not a whole number of ${this.pageSize}-byte pages`)
    }
    this.lastPage = meta.lastPage
    this.owner = new Uint8Array(meta.lastPage + 1)
    this.owner[0] = this.owner[1] = META_OWNER

    const databases: Database[] = []
    const subDatabases: [string, DbRecord][] = []
    databases.push(
      this.walkTree('(main)', meta.main, Buffer.compare, (node) => {
        // lmdb-js stores a database's name with a terminating NUL.
        const name = node.key.toString('utf8').replace(/\0$/, '')
        if ((node.flags & F_SUBDATA) === 0) return
        if (node.data === undefined || node.size !== DB_RECORD) {
          this.findings.problem('page', `the main database's entry for "${name}" is ${node.size} bytes, not a ${DB_RECORD}-byte database record`)
          return
        }
        subDatabases.push([name, dbRecord(node.data, 0)])
      }),
    )
    for (const [name, record] of subDatabases) {
      databases.push(this.walkTree(name, record, Buffer.compare, () => {}))
    }
    databases.unshift(this.walkTree('(free pages)', meta.free, byInteger, (node) => this.readFreeList(node)))

    let inUse = 0
    let leaked = 0
    for (let pgno = 0; pgno <= this.lastPage; pgno++) {
      const owner = this.owner[pgno]
      if (owner === 0) leaked++
      else if (owner !== FREE) inUse++
    }
    if (leaked > 0) {
      this.findings.note(`${leaked} page${leaked === 1 ? ' is' : 's are'} neither in use nor on the free list (space LMDB lost track of; harmless)`)
    }
    if (this.freeTwice > 0) this.findings.note(`${this.freeTwice} free page${this.freeTwice === 1 ? ' is' : 's are'} listed more than once on the free list (harmless)`)
    return {
      fileBytes: this.fileBytes,
      pageSize: this.pageSize,
      txnId: meta.txnId,
      pages: {file: this.filePages, inUse, free: this.freeListed, unused: Math.max(0, this.filePages - (this.lastPage + 1)), leaked},
      databases,
    }
  }

  /** Visits every page of one B-tree, depth first; `onLeaf` sees every leaf node whose page is sound. */
  private walkTree(name: string, db: DbRecord, order: KeyOrder, onLeaf: (node: LeafNode) => void): Database {
    this.names.push(name)
    const code = this.names.length
    const found: Database = {name, depth: 0, entries: 0, branchPages: 0, leafPages: 0, overflowPages: 0}
    const stated = {name, depth: db.depth, entries: db.entries, branchPages: db.branchPages, leafPages: db.leafPages, overflowPages: db.overflowPages}
    const problemsBefore = this.findings.problemCount
    if (db.root === NO_PAGE) {
      if (db.depth !== 0 || db.entries !== 0) this.findings.problem('count', `${name}: no root page, but its record says depth ${db.depth} and ${db.entries} entries`)
      return stated
    }
    if (db.depth < 1 || db.depth > MAX_DEPTH) {
      this.findings.problem('count', `${name}: its record says depth ${db.depth}, which no tree has`)
      return stated
    }
    const stack: Visit[] = [{pgno: db.root, level: 1, low: undefined, high: undefined}]
    while (stack.length > 0) {
      const visit = stack.pop()!
      const leaf = visit.level === db.depth
      const where = `page ${visit.pgno} (${name}, ${leaf ? 'leaf' : 'branch'} at depth ${visit.level} of ${db.depth})`
      if (!this.claim(visit.pgno, 1, code, where)) continue
      if (++this.visited % PROGRESS_EVERY === 0) this.progress(this.visited)
      const page = readAt(this.fd, visit.pgno * this.pageSize, this.pageSize)
      const nodes = this.pageNodes(page, visit.pgno, leaf ? P_LEAF : P_BRANCH, where)
      if (nodes === undefined) continue
      found.depth = Math.max(found.depth, visit.level)
      if (leaf) found.leafPages++
      else found.branchPages++
      let previous: Buffer | undefined
      const children: Visit[] = []
      for (let i = 0; i < nodes.length; i++) {
        const at = nodes[i]
        const keySize = page.readUInt16LE(at + 6)
        const key = page.subarray(at + NODE_HEADER, at + NODE_HEADER + keySize)
        // A branch page's first key is never compared (its child holds everything below the second key).
        if (leaf || i > 0) {
          const outOfOrder =
            (previous !== undefined && order(previous, key) >= 0) ||
            (visit.low !== undefined && order(key, visit.low) < 0) ||
            (visit.high !== undefined && order(key, visit.high) >= 0)
          if (outOfOrder) {
            this.findings.problem('page', `${where}: key ${i} is out of order`)
            break
          }
          previous = key
        }
        if (!leaf) {
          const child = page.readUInt32LE(at) + page.readUInt16LE(at + 4) * 2 ** 32
          children.push({pgno: child, level: visit.level + 1, low: i === 0 ? visit.low : key, high: visit.high})
          if (i > 0) children[i - 1].high = key
          continue
        }
        const node = this.leafNode(page, at, key, where, i)
        // The rest of a damaged page is not worth reading: one problem per page.
        if (node === undefined) break
        found.entries++
        if (node.overflow !== undefined) {
          const pages = Number(page.readBigUInt64LE(at + NODE_HEADER + keySize + 16))
          if (!this.checkOverflow(node, pages, code, `${where}: key ${i}'s value`)) continue
          found.overflowPages += pages
        }
        onLeaf(node)
      }
      // Pushed in reverse, so pages are visited in key order.
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
    }
    if (this.findings.problemCount === problemsBefore) {
      for (const field of ['depth', 'entries', 'branchPages', 'leafPages', 'overflowPages'] as const) {
        if (found[field] !== stated[field]) this.findings.problem('count', `${name}: its pages hold ${found[field]} ${describeCount(field)}, its record says ${stated[field]}`)
      }
    }
    return this.findings.problemCount === problemsBefore ? found : stated
  }

  /** Checks a branch or leaf page's header and returns its nodes' offsets, or undefined when it is damaged. */
  private pageNodes(page: Buffer, pgno: number, type: number, where: string): number[] | undefined {
    const named = page.readBigUInt64LE(0)
    if (named !== BigInt(pgno)) {
      this.findings.problem('page', `${where}: its header names page ${named} (overwritten or misplaced)`)
      return undefined
    }
    const flags = page.readUInt16LE(18)
    if ((flags & PAGE_TYPES) !== type) {
      this.findings.problem('page', `${where}: it is marked as ${describeFlags(flags)}`)
      return undefined
    }
    const lower = page.readUInt16LE(20)
    const upper = page.readUInt16LE(22)
    const room = this.pageSize - PAGE_HEADER
    if (lower % 2 !== 0 || lower > upper || upper > room) {
      this.findings.problem('page', `${where}: its free-space bounds (${lower}, ${upper}) are impossible`)
      return undefined
    }
    const count = lower / 2
    if (count === 0) {
      this.findings.problem('page', `${where}: it has no entries`)
      return undefined
    }
    const nodes: number[] = []
    for (let i = 0; i < count; i++) {
      const at = page.readUInt16LE(PAGE_HEADER + 2 * i) + PAGE_HEADER
      if (at < PAGE_HEADER + upper || at % 2 !== 0 || at + NODE_HEADER > this.pageSize || at + NODE_HEADER + page.readUInt16LE(at + 6) > this.pageSize) {
        this.findings.problem('page', `${where}: entry ${i} lies outside the page's entry area`)
        return undefined
      }
      nodes.push(at)
    }
    return nodes
  }

  private leafNode(page: Buffer, at: number, key: Buffer, where: string, index: number): LeafNode | undefined {
    const flags = page.readUInt16LE(at + 4)
    const size = page.readUInt32LE(at)
    const dataAt = at + NODE_HEADER + key.length
    if ((flags & ~(F_BIGDATA | F_SUBDATA)) !== 0) {
      this.findings.problem('page', `${where}: key ${index} has flags 0x${flags.toString(16)}, which kv's databases never use`)
      return undefined
    }
    if ((flags & F_BIGDATA) !== 0) {
      if (dataAt + OVERFLOW_REF > this.pageSize) {
        this.findings.problem('page', `${where}: key ${index}'s overflow reference runs past the page`)
        return undefined
      }
      return {key, flags, data: undefined, size, overflow: u64(page, dataAt)}
    }
    if (dataAt + size > this.pageSize) {
      this.findings.problem('page', `${where}: key ${index}'s ${size}-byte value runs past the page`)
      return undefined
    }
    return {key, flags, data: page.subarray(dataAt, dataAt + size), size, overflow: undefined}
  }

  /** Checks the first page of a value's overflow pages and claims all of them. */
  private checkOverflow(node: LeafNode, pages: number, code: number, what: string): boolean {
    const first = node.overflow!
    // A value rewritten in place keeps the overflow pages of the bigger one it replaced: more is fine.
    const needed = Math.floor((PAGE_HEADER - 1 + node.size) / this.pageSize) + 1
    if (pages < needed || pages > MAX_OVERFLOW_PAGES) {
      this.findings.problem('page', `${what} (${node.size} bytes) is said to take ${pages} overflow pages; it needs ${needed}`)
      return false
    }
    const where = `overflow page ${first} (${what})`
    if (!this.claim(first, pages, code, where)) return false
    const header = readAt(this.fd, first * this.pageSize, PAGE_HEADER)
    const problem =
      header.readBigUInt64LE(0) !== BigInt(first)
        ? `its header names page ${header.readBigUInt64LE(0)} (overwritten or misplaced)`
        : (header.readUInt16LE(18) & PAGE_TYPES) !== P_OVERFLOW
          ? `it is marked as ${describeFlags(header.readUInt16LE(18))}`
          : header.readUInt32LE(20) !== pages
            ? `it says it spans ${header.readUInt32LE(20)} pages, its value needs ${pages}`
            : undefined
    if (problem !== undefined) {
      this.findings.problem('page', `${where}: ${problem}`)
      return false
    }
    return true
  }

  /**
   * Marks pages `first` to `first + count - 1` as used by database `code`. A page out of the file or already
   * reached (used twice, or used and free) is a problem; returns whether every page was fine.
   */
  private claim(first: number, count: number, code: number, where: string): boolean {
    const last = first + count - 1
    if (first < 2 || last > this.lastPage) {
      this.findings.problem('page', `${where}: outside pages 2 to ${this.lastPage}, the last one allocated`)
      return false
    }
    if (last >= this.filePages) {
      this.findings.problem('page', `${where}: past the end of the file (${this.filePages} pages)`)
      return false
    }
    for (let pgno = first; pgno <= last; pgno++) {
      if (this.owner[pgno] !== 0) {
        this.findings.problem('page', `${where}: page ${pgno} is already ${this.describeOwner(this.owner[pgno])}`)
        return false
      }
    }
    this.owner.fill(code, first, last + 1)
    return true
  }

  /** One record of the free database: the pages a transaction freed. */
  private readFreeList(node: LeafNode): void {
    const txn = node.key.length === 8 ? u64(node.key, 0) : undefined
    const where = `the free list of transaction ${txn ?? '(a damaged key)'}`
    if (txn === undefined) {
      this.findings.problem('page', `${where}: its key is ${node.key.length} bytes, not 8`)
      return
    }
    const data = node.data ?? readAt(this.fd, node.overflow! * this.pageSize + PAGE_HEADER, node.size)
    if (data.length < 8 || data.length % 8 !== 0) {
      this.findings.problem('page', `${where}: it is ${data.length} bytes, not a list of page numbers`)
      return
    }
    const count = u64(data, 0)
    if ((count + 1) * 8 > data.length) {
      this.findings.problem('page', `${where}: it says ${count} entries but holds ${data.length / 8 - 1}`)
      return
    }
    for (let i = 1; i <= count; i++) {
      const entry = data.readBigInt64LE(i * 8)
      if (entry === 0n) continue
      let run = 1
      let first = Number(entry)
      if (entry < 0n) {
        run = Number(-entry)
        if (i === count) {
          this.findings.problem('page', `${where}: it ends with a run length and no page`)
          return
        }
        first = u64(data, ++i * 8)
      }
      if (first < 2 || first + run - 1 > this.lastPage) {
        this.findings.problem('page', `${where}: it lists pages ${first} to ${first + run - 1}, outside pages 2 to ${this.lastPage}`)
        continue
      }
      for (let pgno = first; pgno < first + run; pgno++) this.markFree(pgno, where)
    }
  }

  private markFree(pgno: number, where: string): void {
    const owner = this.owner[pgno]
    if (owner === FREE) this.freeTwice++
    else if (owner !== 0) this.findings.problem('page', `${where}: it lists page ${pgno}, which is ${this.describeOwner(owner)}`)
    else {
      this.owner[pgno] = FREE
      this.freeListed++
    }
  }

  private describeOwner(owner: number): string {
    if (owner === FREE) return 'on the free list'
    if (owner === META_OWNER) return 'a meta page'
    return `in use by ${this.names[owner - 1]}`
  }
}

function describeFlags(flags: number): string {
  const types = [
    [P_BRANCH, 'branch'],
    [P_LEAF, 'leaf'],
    [P_OVERFLOW, 'overflow'],
    [P_META, 'meta'],
    [P_LEAF2, 'leaf2'],
    [P_SUBP, 'sub-page'],
  ] as const
  const names = types.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name)
  return `${names.length === 0 ? 'no page type' : `a ${names.join('+')} page`} (flags 0x${flags.toString(16)})`
}

function describeCount(field: 'depth' | 'entries' | 'branchPages' | 'leafPages' | 'overflowPages'): string {
  return {depth: 'levels', entries: 'entries', branchPages: 'branch pages', leafPages: 'leaf pages', overflowPages: 'overflow pages'}[field]
}
