/** @module Workspace memory (R6): the memory service, compaction, search, backups and workspace transfer. */
export {
  memoryService,
  SUMMARIZE_SHARED_KEY,
  type MemoryApi,
  type MemoryServiceOptions,
} from './memory-service.js';
export { toNewEntry, renderToolCall, type MemoryAppendParams } from './append-input.js';
export { Compactor, type CompactionResult, type CompactorOptions, type MemoryLogger } from './compactor.js';
export {
  extractiveSummary,
  extractiveSummarize,
  PREVIOUS_SUMMARY_PREFIX,
  type Summarize,
  type SummarizeContext,
} from './extractive-summary.js';
export {
  cutAtOrBefore,
  safeCuts,
  sanitizeHistory,
  toHistoryMessage,
  type HistoryMessage,
  type HistoryToolCall,
} from './history.js';
export {
  searchMemory,
  type SearchOptions,
  type SearchResponse,
  type SearchResultItem,
} from './memory-search.js';
export { workspaceView, type WorkspaceView } from './workspace-view.js';
export {
  OpenAIEmbeddings,
  embeddingsFromConfig,
  type EmbeddingProvider,
  type OpenAIEmbeddingsOptions,
} from './embeddings/embedding-provider.js';
export {
  EmbeddingIndexer,
  embeddingText,
  type EmbeddingIndexerOptions,
} from './embeddings/embedding-indexer.js';
export {
  exportWorkspace,
  importWorkspace,
  WORKSPACE_EXPORT_FORMAT,
  WORKSPACE_EXPORT_VERSION,
  type ImportResult,
} from './workspace-transfer.js';
export { createBackup, type BackupResult, type CreateBackupOptions } from './backup/create-backup.js';
export { restoreBackup, type RestoreBackupOptions, type RestoreResult } from './backup/restore-backup.js';
export {
  inspectStore,
  snapshotStore,
  storeInUse,
  type StoreCounts,
  type StoreInspection,
} from './backup/store-snapshot.js';
export {
  ARCHIVE_PATHS,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupManifestSchema,
  type BackupManifest,
} from './backup/manifest.js';
