export {
  checkEveryNamespace,
  checkNamespace,
  type CheckOptions,
  type CheckProblem,
  type CheckProblemKind,
  type LmdbCheckDetails,
  type NamespaceCheck,
  type RedisCheckDetails,
} from './engine/check.js'
export {defaultDataDir} from './engine/data-dir.js'
export {KvError, isKvError, type KvErrorCode} from './engine/errors.js'
export {
  DEFAULT_LIST_LIMIT,
  MAX_KEY_BYTES,
  MAX_LIST_LIMIT,
  MAX_TTL_SECONDS,
  MAX_VALUE_BYTES,
  type ValueInput,
} from './engine/limits.js'
export {
  Namespace,
  type Clock,
  type Batch,
  type Entry,
  type EntryWithName,
  type IncrOptions,
  type ListedKey,
  type ListOptions,
  type ListPage,
  type ListPageOptions,
  type NamespaceStats,
  type PutOptions,
  type ValueType,
} from './engine/namespace.js'
export {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  namespaceExists,
  openNamespace,
  type LocationOptions,
  type OpenOptions,
} from './engine/open.js'
