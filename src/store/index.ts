/** @module Store layer: storage interfaces and the SQLite backend (conformance suites: ./conformance/index.ts). */
export type {
  ClaimOptions,
  InsertTaskOptions,
  InsertTaskResult,
  ListTasksOptions,
  MetaStore,
  RevocationStore,
  Stores,
  TaskLogEntry,
  TaskLogLevel,
  TaskPage,
  TaskPatch,
  TaskStore,
  UpdateTaskOptions,
  CronStore,
  CronRunClaim,
  CronRunPatch,
  CompactionCommit,
  ListEntriesOptions,
  MemoryEntry,
  MemoryKind,
  MemorySearchHit,
  MemorySearchOptions,
  MemorySearchResult,
  MessageRole,
  NewMemoryEntry,
  ToolCallRecord,
  VectorHit,
  WorkspaceInfo,
  WorkspaceStore,
} from './types.js';
export { DEFAULT_PRIORITY_AGING_MS, PRIORITY_RANK, effectiveRank } from './priority.js';
export {
  openSqliteDatabase,
  SYNCHRONOUS_MODES,
  type SqliteDatabase,
  type SqliteDatabaseOptions,
  type SynchronousMode,
} from './sqlite/database.js';
export {
  runMigrations,
  schemaVersion,
  type Migration,
  type MigrationOptions,
  type MigrationResult,
} from './sqlite/migrations.js';
export { STORE_MIGRATIONS } from './sqlite/schema.js';
export { CIPHER_PRAGMAS, KEY_ENV } from './sqlite/cipher.js';
export { createSqliteStores, type SqliteStores } from './sqlite/sqlite-stores.js';
export { rekeySqliteDatabase, type RekeyOptions } from './sqlite/rekey.js';
export { SqliteTaskStore } from './sqlite/task-store.js';
export { SqliteRevocationStore } from './sqlite/revocation-store.js';
export { SqliteMetaStore } from './sqlite/meta-store.js';
export { SqliteCronStore } from './sqlite/cron-store.js';
export { SqliteWorkspaceStore } from './sqlite/memory-store.js';
