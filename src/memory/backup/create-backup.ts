/**
 * @module `openclaw backup create`: a consistent .tar.gz of a gateway's state while it runs and takes
 * writes: a snapshot of the store, the auth secret, config.yaml and the nodes' workspace files, with a
 * manifest of sizes and checksums. The encryption key is never archived.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { authSecretPath } from '../../gateway/index.js';
import { GatewayError } from '../../protocol/index.js';
import {
  ARCHIVE_PATHS,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  MANIFEST_PATH,
  type BackupFile,
  type BackupManifest,
} from './manifest.js';
import { inspectStore, snapshotStore } from './store-snapshot.js';
import { TarWriter } from './tar.js';

export interface CreateBackupOptions {
  /** The gateway's data dir (`OPENCLAW_DATA_DIR`). */
  dataDir: string;
  /** Store file inside `dataDir`. Default: `'openclaw.db'`. */
  storeFile?: string;
  /** The store's key (`OPENCLAW_WORKSPACE_ENCRYPTION_KEY`); the snapshot stays encrypted with it. Default: none. */
  encryptionKey?: string;
  /** config.yaml to include; null or a missing file includes none. Default: null. */
  configPath?: string | null;
  /** Archive to write; appears only once complete. */
  out: string;
  /** Include `<dataDir>/workspaces/` (the local node's working directories). Default: true. */
  workspaceFiles?: boolean;
  /** Recorded in the manifest. */
  version: string;
}

export interface BackupResult {
  path: string;
  bytes: number;
  manifest: BackupManifest;
}

/** Regular files under `root`, relative paths; symlinks and other specials are reported, not followed. */
function walk(root: string, skipped: BackupManifest['skipped']): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, d.name);
      if (d.isDirectory()) visit(p);
      else if (d.isFile()) out.push(relative(root, p));
      else
        skipped.push({
          path: `${ARCHIVE_PATHS.workspaceFiles}${relative(root, p)}`,
          reason: 'not a regular file',
        });
    }
  };
  if (existsSync(root) && lstatSync(root).isDirectory()) visit(root);
  return out;
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function createBackup(o: CreateBackupOptions): Promise<BackupResult> {
  const storeFile = o.storeFile ?? 'openclaw.db';
  const dbFile = join(o.dataDir, storeFile);
  const out = resolve(o.out);
  if (!existsSync(dbFile)) {
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
      reason: `there is no store at ${dbFile}, so nothing to back up (is OPENCLAW_DATA_DIR or --data-dir right?)`,
    });
  }
  if (!existsSync(dirname(out)))
    throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: `the directory of ${out} does not exist` });
  const stage = mkdtempSync(join(dirname(out), `.${basename(out)}.staging-`));
  const partial = `${out}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const snapshot = join(stage, 'openclaw.db');
    snapshotStore(dbFile, o.encryptionKey, snapshot);
    const inspection = inspectStore(snapshot, o.encryptionKey);
    if (inspection.integrity !== 'ok') {
      throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', {
        reason: `the snapshot failed its integrity check (${inspection.integrity}); the live store may be damaged`,
      });
    }

    const gz = createGzip();
    const written = pipeline(gz, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
    const tar = new TarWriter(gz);
    const produce = async (): Promise<BackupManifest> => {
      const files: BackupFile[] = [];
      const skipped: BackupManifest['skipped'] = [];
      files.push({ ...(await tar.addFile(ARCHIVE_PATHS.database, snapshot)), kind: 'database' });
      const secret = authSecretPath(o.dataDir);
      if (existsSync(secret))
        files.push({ ...(await tar.addFile(ARCHIVE_PATHS.authSecret, secret)), kind: 'auth_secret' });
      if (o.configPath && existsSync(o.configPath)) {
        const text = readFileSync(o.configPath, 'utf8');
        // An archive holding the key next to the data it encrypts would defeat the encryption.
        if (o.encryptionKey && text.includes(o.encryptionKey))
          skipped.push({
            path: ARCHIVE_PATHS.config,
            reason: `${o.configPath} contains store.encryption_key; move the key to OPENCLAW_WORKSPACE_ENCRYPTION_KEY to include the config`,
          });
        else files.push({ ...(await tar.addFile(ARCHIVE_PATHS.config, o.configPath)), kind: 'config' });
      }
      if (o.workspaceFiles ?? true) {
        const root = join(o.dataDir, 'workspaces');
        for (const rel of walk(root, skipped)) {
          const info = await tar.addFile(
            `${ARCHIVE_PATHS.workspaceFiles}${rel}`,
            join(root, rel),
            statSync(join(root, rel)).mode & 0o777,
          );
          files.push({ ...info, kind: 'workspace_file' });
        }
      }
      const manifest: BackupManifest = {
        format: BACKUP_FORMAT,
        format_version: BACKUP_FORMAT_VERSION,
        created_at: new Date().toISOString(),
        openclaw_version: o.version,
        source: {
          hostname: hostname(),
          data_dir: resolve(o.dataDir),
          store_file: storeFile,
          config_path: o.configPath ?? null,
        },
        store: {
          backend: 'sqlite',
          encrypted: o.encryptionKey !== undefined,
          integrity: inspection.integrity,
          counts: inspection.counts,
        },
        files,
        skipped,
      };
      // Last, so that an archive cut short is recognisably incomplete.
      await tar.addBuffer(MANIFEST_PATH, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 0o644);
      await tar.finish();
      return manifest;
    };
    // A failing write (disk full) rejects `written` at once, even while `produce` waits for a drain.
    const [manifest] = await Promise.all([produce(), written]);
    fsyncFile(partial);
    renameSync(partial, out);
    fsyncFile(dirname(out));
    return { path: out, bytes: statSync(out).size, manifest };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
