/** @module The manifest of a backup archive: what it holds, with sizes and checksums, written last. */
import { z } from 'zod';

export const BACKUP_FORMAT = 'openclaw-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';

/** Archive paths of the parts a restore puts back. */
export const ARCHIVE_PATHS = {
  database: 'data/openclaw.db',
  authSecret: 'data/auth.secret',
  config: 'config/config.yaml',
  workspaceFiles: 'workspaces/',
} as const;

export const BackupFileSchema = z.object({
  path: z.string(),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  kind: z.enum(['database', 'auth_secret', 'config', 'workspace_file']),
});

export const BackupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  format_version: z.int().min(1),
  created_at: z.string(),
  openclaw_version: z.string(),
  source: z.object({
    hostname: z.string(),
    data_dir: z.string(),
    store_file: z.string(),
    config_path: z.string().nullable(),
  }),
  store: z.object({
    backend: z.literal('sqlite'),
    encrypted: z.boolean(),
    integrity: z.string(),
    counts: z.record(z.string(), z.int()),
  }),
  files: z.array(BackupFileSchema),
  /** Things deliberately left out, with the reason (e.g. a config file holding the encryption key). */
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
});

export type BackupManifest = z.infer<typeof BackupManifestSchema>;
export type BackupFile = z.infer<typeof BackupFileSchema>;
