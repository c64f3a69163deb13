import {closeSync, fstatSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync} from 'node:fs'
import {join} from 'node:path'

/**
 * What kv knows about the two files of an LMDB environment, read and written with plain file calls.
 * Both layouts are those of the LMDB that lmdb-js 3 bundles.
 */
export const DATA_FILE = 'data.mdb'
const LOCK_FILE = 'lock.mdb'
/**
 * The lock file's size with lmdb-js's 126 readers: the reader table and its header (mdb_env_setup_locks in
 * mdb.c; test/engine/lmdb-store.test.ts checks that LMDB keeps it so).
 */
export const LOCK_FILE_BYTES = 8272

/**
 * What a namespace takes on disk: its files' allocated blocks (data.mdb and lock.mdb), as du counts them. The one
 * definition of its size, for `kv ns list` (stats) and `kv ns check` alike.
 */
export function bytesOnDisk(directory: string): number {
  return readdirSync(directory).reduce((sum, file) => sum + statSync(join(directory, file)).blocks * 512, 0)
}

/**
 * Byte offsets in LMDB's meta pages (pages 0 and 1): the page header, then mm_magic, mm_version,
 * mm_address, mm_mapsize, the free and main MDB_db (the free one's md_pad holds the page size; each
 * md_root is its tree's root page), mm_last_pg and mm_txnid.
 */
const META = {magicOffset: 24, magic: 0xbeefc0de, pageSizeOffset: 48, rootOffsets: [88, 136], txnIdOffset: 152, bytes: 160} as const
/** md_root of an empty tree. */
const NO_PAGE = 0xffff_ffff_ffff_ffffn
/** The lock file starts with mti_magic (same value as the meta pages'), mti_format, then mti_txnid, on every platform. */
const LOCK = {magicOffset: 0, txnIdOffset: 8} as const

/**
 * LMDB trusts its data file: opening one that is not LMDB, or that was truncated, crashes the process
 * (SIGSEGV/SIGBUS) instead of returning an error, and it starts an empty namespace over an empty or missing
 * one. So check the two meta pages first: the magic number, and that the file holds the newest root pages.
 */
export function checkDataFile(path: string): void {
  try {
    checkDataFileOnce(path)
  } catch {
    // Another process may be extending the file this very moment (LMDB writes a page in more than one
    // step); a damaged file fails again a moment later.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
    checkDataFileOnce(path)
  }
}

function checkDataFileOnce(path: string): void {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    // A namespace is renamed into place with its data file written, so a missing one was lost: LMDB would
    // silently start an empty namespace over it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${DATA_FILE} is missing`)
    throw error
  }
  try {
    const first = readAt(fd, 0, META.bytes)
    if (first.length === 0) throw new Error(`${DATA_FILE} is truncated (0 bytes)`)
    const pageSize = first.length === META.bytes ? first.readUInt32LE(META.pageSizeOffset) : 0
    const second = pageSize >= 512 && pageSize <= 65_536 ? readAt(fd, pageSize, META.bytes) : Buffer.alloc(0)
    const metas = [first, second].filter((meta) => meta.length === META.bytes && meta.readUInt32LE(META.magicOffset) === META.magic)
    if (metas.length === 0) throw new Error(`${DATA_FILE} is not an LMDB data file (corrupt or overwritten)`)
    const newest = metas.reduce((a, b) => (b.readBigUInt64LE(META.txnIdOffset) > a.readBigUInt64LE(META.txnIdOffset) ? b : a))
    // The size only after the meta pages: another process may be committing, and LMDB writes a transaction's
    // pages before the meta page that names them, so a file measured later always holds them.
    const size = fstatSync(fd).size
    // Not mm_last_pg: it may name a page that was allocated and freed in the last transaction and never
    // written, so a healthy file can end before it. Root pages are always written, and LMDB writes whole pages.
    const roots = META.rootOffsets.map((offset) => newest.readBigUInt64LE(offset)).filter((root) => root !== NO_PAGE)
    const needed = Math.max(2, ...roots.map((root) => Number(root) + 1)) * pageSize
    if (size < needed || size % pageSize !== 0) {
      throw new Error(`${DATA_FILE} is truncated (${size} bytes; it needs whole pages of ${pageSize} bytes up to byte ${needed})`)
    }
  } finally {
    closeSync(fd)
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position))
}

/** What a new environment's data file takes once created: two meta pages, then the first commit (10 pages in all), with room to spare. */
const NEW_DATA_FILE_BYTES = 64 * 1024

/**
 * Readies a directory for a new environment, so that a full disk (or quota) is an error here rather than a
 * crash in LMDB, which would leave nothing said and the directory behind:
 * - the lock file is written for real. LMDB would make it with ftruncate, a file of holes, and write to it
 *   through a shared mapping: on a full disk the first page it touches kills the process with SIGBUS. Written,
 *   every page is on disk, and LMDB keeps a lock file that is already large enough;
 * - room for the data file is checked with a real write (statfs knows no quotas), then given back for LMDB:
 *   lmdb-js crashes (SIGSEGV) when the first write of a new data file fails.
 * Only for an environment no process has opened: it would wipe a lock file in use.
 */
export function prepareNewEnvironment(directory: string): void {
  const room = join(directory, 'room.tmp')
  try {
    writeFully(join(directory, LOCK_FILE), LOCK_FILE_BYTES)
    writeFully(room, NEW_DATA_FILE_BYTES)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC' && (error as NodeJS.ErrnoException).code !== 'EDQUOT') throw error
    const kib = Math.ceil((LOCK_FILE_BYTES + NEW_DATA_FILE_BYTES) / 1024)
    throw Object.assign(new Error(`no space left for a new namespace: it needs ${kib} KiB (disk full or quota reached)`), {code: 'ENOSPC', cause: error})
  } finally {
    rmSync(room, {force: true})
  }
}

/** Creates `path` holding `bytes` zero bytes, or fails (ENOSPC) having written fewer. */
function writeFully(path: string, bytes: number): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    if (writeSync(fd, Buffer.alloc(bytes)) !== bytes) throw Object.assign(new Error('short write'), {code: 'ENOSPC'})
  } finally {
    closeSync(fd)
  }
}

/** A write transaction that would have built on an older commit than the newest; nothing was written in it. */
export class StaleWriteBase extends Error {}

/**
 * Works around a bug in the LMDB that lmdb-js 3.5.6 bundles, by which another process's finished write can be
 * lost. Opening an environment copies the transaction id it read from the data file into the shared lock file
 * (mti_txnid) without holding the write lock; stock LMDB does that only for MDB_PREVSNAPSHOT. When another
 * process commits in between, the lock file goes back one transaction, the next writer starts from the older
 * meta page, and its commit replaces the one in between. (Upstream LMDB fixed the same loss as ITS#9496.)
 *
 * So every write transaction first checks, holding the write lock, that it follows the newest commit in the
 * data file. When it does not, it sets the lock file's id right (no other writer can run meanwhile) and throws
 * StaleWriteBase before writing anything; the caller aborts and starts again, this time from the newest commit.
 */
export class WriteBaseGuard {
  private readonly dataFd: number
  private readonly pageSize: number
  private readonly txnId = Buffer.alloc(8)

  constructor(private readonly directory: string) {
    this.dataFd = openSync(join(directory, DATA_FILE), 'r')
    this.pageSize = readAt(this.dataFd, 0, META.bytes).readUInt32LE(META.pageSizeOffset)
  }

  /** Call first in a write transaction, with its id (one more than the commit it starts from). */
  check(writeTxnId: number): void {
    const newest = Math.max(this.committedTxnId(0), this.committedTxnId(this.pageSize))
    if (writeTxnId > newest) return
    repairLockFile(this.directory, {expected: writeTxnId - 1, newest})
    throw new StaleWriteBase(`write transaction ${writeTxnId} started from commit ${writeTxnId - 1}, but ${newest} is the newest; starting again`)
  }

  close(): void {
    closeSync(this.dataFd)
  }

  private committedTxnId(metaPage: number): number {
    readSync(this.dataFd, this.txnId, 0, 8, metaPage + META.txnIdOffset)
    return Number(this.txnId.readBigUInt64LE(0))
  }
}

/**
 * Lock files this process opened to repair, by device and inode, kept open for the life of the process:
 * closing any descriptor of a file drops every POSIX lock the process holds on it, and LMDB's own locks on
 * the lock file (which tell other processes that it is in use) would go with it.
 */
const lockFiles = new Map<string, number>()

function repairLockFile(directory: string, {expected, newest}: {expected: number; newest: number}): void {
  const path = join(directory, LOCK_FILE)
  const {dev, ino} = statSync(path)
  let fd = lockFiles.get(`${dev}:${ino}`)
  if (fd === undefined) {
    fd = openSync(path, 'r+')
    lockFiles.set(`${dev}:${ino}`, fd)
  }
  const header = readAt(fd, 0, LOCK.txnIdOffset + 8)
  // Write only where the layout is the expected one: the magic number, and the id this transaction started from.
  if (header.length < LOCK.txnIdOffset + 8 || header.readUInt32LE(LOCK.magicOffset) !== META.magic || header.readBigUInt64LE(LOCK.txnIdOffset) !== BigInt(expected)) {
    throw new Error(`${LOCK_FILE} does not hold the transaction id LMDB started from (${expected}); cannot repair it`)
  }
  const id = Buffer.alloc(8)
  id.writeBigUInt64LE(BigInt(newest))
  writeSync(fd, id, 0, 8, LOCK.txnIdOffset)
}
