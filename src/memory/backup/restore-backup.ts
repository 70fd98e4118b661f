/**
 * @module `openclaw backup restore`: checks an archive completely (manifest, sizes, checksums, the
 * database's key and integrity) before anything is touched, refuses while a gateway uses the data dir,
 * then swaps the files in and keeps the replaced ones aside, so a mistaken restore can be undone.
 */
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  chmodSync,
  readdirSync,
  rmdirSync,
} from 'node:fs';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AUTH_SECRET_FILE } from '../../gateway/index.js';
import { GatewayError } from '../../protocol/index.js';
import {
  ARCHIVE_PATHS,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupManifestSchema,
  MANIFEST_PATH,
  type BackupManifest,
} from './manifest.js';
import { inspectStore, storeInUse, type StoreInspection } from './store-snapshot.js';
import { extractTar, type TarFileInfo } from './tar.js';

export interface RestoreBackupOptions {
  archive: string;
  dataDir: string;
  /** Store file inside `dataDir`. Default: `'openclaw.db'`. */
  storeFile?: string;
  /** The key the restored store must open with (the gateway's `OPENCLAW_WORKSPACE_ENCRYPTION_KEY`). */
  encryptionKey?: string;
  /** Where config.yaml goes back to (written only when no file is there yet). Default: none. */
  configPath?: string | null;
  /** Restore even when a gateway seems to use the data dir. Default: false. */
  force?: boolean;
  /** Asked when the store cannot tell whether it is in use (wrong key): is a gateway answering there? */
  gatewayAlive?: () => Promise<boolean>;
}

export interface RestoreResult {
  manifest: BackupManifest;
  inspection: StoreInspection;
  /** Where the files that were replaced now are; null when there were none. */
  previous: string | null;
  /** `written`, `identical` (already the same), `kept` (another file is there: see `configCopy`) or `none`. */
  config: 'written' | 'identical' | 'kept' | 'none';
  /** The archive's config, written beside the existing one when that differs. */
  configCopy: string | null;
  workspaceFiles: number;
}

const fail = (reason: string) => new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason });

/** An archive path made safe to join to the staging dir: relative, no `..`, no absolute parts. */
function safeJoin(root: string, path: string): string | null {
  const p = normalize(path);
  if (p.startsWith('..') || p.startsWith(sep) || /^[A-Za-z]:/.test(p) || p.split(sep).includes('..'))
    return null;
  const full = resolve(root, p);
  return full.startsWith(resolve(root) + sep) ? full : null;
}

async function extract(archive: string, stage: string): Promise<Map<string, TarFileInfo>> {
  const files = new Map<string, TarFileInfo>();
  const gunzip = createGunzip();
  const pass = new PassThrough();
  const reading = pipeline(createReadStream(archive), gunzip, pass);
  const extracting = extractTar(pass, (entry) => {
    const dest = safeJoin(stage, entry.path);
    if (dest === null) throw fail(`the archive holds an unsafe path ${JSON.stringify(entry.path)}`);
    if (entry.type === 'directory') {
      mkdirSync(dest, { recursive: true, mode: 0o700 });
      return null;
    }
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    return dest;
  });
  try {
    const [list] = await Promise.all([extracting, reading]);
    for (const f of list) files.set(normalize(f.path), f);
  } catch (err) {
    pass.destroy();
    if (err instanceof GatewayError) throw err;
    throw fail(`${archive} is not a readable backup archive: ${(err as Error).message}`);
  }
  return files;
}

function readManifest(stage: string, archive: string): BackupManifest {
  const path = join(stage, MANIFEST_PATH);
  if (!existsSync(path))
    throw fail(`${archive} has no ${MANIFEST_PATH}: it is not an openclaw backup, or it was cut short`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw fail(`${MANIFEST_PATH} in ${archive} is not valid JSON`);
  }
  const format = (raw as { format?: unknown }).format;
  if (format !== BACKUP_FORMAT) throw fail(`${archive} is not an openclaw backup (format ${String(format)})`);
  const version = (raw as { format_version?: unknown }).format_version;
  if (typeof version === 'number' && version > BACKUP_FORMAT_VERSION)
    throw fail(
      `${archive} has backup format ${version}; this openclaw reads up to ${BACKUP_FORMAT_VERSION}: upgrade first`,
    );
  const parsed = BackupManifestSchema.safeParse(raw);
  if (!parsed.success)
    throw fail(`${MANIFEST_PATH} in ${archive} is malformed: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Moves `from` to `to` when it exists; true if it did. */
function moveIfExists(from: string, to: string): boolean {
  if (!existsSync(from)) return false;
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  renameSync(from, to);
  return true;
}

export async function restoreBackup(o: RestoreBackupOptions): Promise<RestoreResult> {
  const storeFile = o.storeFile ?? 'openclaw.db';
  if (!existsSync(o.archive)) throw fail(`${o.archive} does not exist`);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const stage = mkdtempSync(join(o.dataDir, '.restore-'));
  try {
    const extracted = await extract(o.archive, stage);
    const manifest = readManifest(stage, o.archive);
    for (const f of manifest.files) {
      const got = extracted.get(normalize(f.path));
      if (!got)
        throw fail(`${o.archive} lacks ${f.path}, which its manifest lists: the archive is incomplete`);
      if (got.size !== f.size || got.sha256 !== f.sha256)
        throw fail(`${f.path} in ${o.archive} does not match its checksum: the archive is damaged`);
    }
    const db = join(stage, ARCHIVE_PATHS.database);
    if (!manifest.files.some((f) => f.kind === 'database')) throw fail(`${o.archive} holds no database`);
    if (manifest.store.encrypted && o.encryptionKey === undefined)
      throw new GatewayError(
        'GW_ERR_STORE_KEY_INVALID',
        { reason: 'the backup is encrypted and no key is set' },
        'the backup is encrypted: set OPENCLAW_WORKSPACE_ENCRYPTION_KEY to the key it was made with',
      );
    if (!manifest.store.encrypted && o.encryptionKey !== undefined)
      throw new GatewayError(
        'GW_ERR_STORE_KEY_INVALID',
        { reason: 'the backup is not encrypted but a key is set' },
        'the backup is not encrypted but OPENCLAW_WORKSPACE_ENCRYPTION_KEY is set: unset it to restore, then encrypt with `openclaw store rekey` if wanted',
      );
    const inspection = inspectStore(db, o.encryptionKey);
    if (inspection.integrity !== 'ok')
      throw fail(`the database in ${o.archive} fails its integrity check: ${inspection.integrity}`);

    const live = join(o.dataDir, storeFile);
    if (!o.force) {
      const inUse = storeInUse(live, o.encryptionKey);
      const busy = inUse === 'unknown' ? ((await o.gatewayAlive?.()) ?? false) : inUse;
      if (busy)
        throw fail(
          `a gateway is using ${live}; stop it first (systemctl stop openclaw-gateway, docker compose stop openclaw-gateway), or pass --force`,
        );
    }

    // Swap: the current files go aside first, then the staged ones take their place.
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const previous = join(o.dataDir, `pre-restore-${stamp}`);
    const swapped: Array<[string, string]> = [];
    const aside = (from: string, name: string) => {
      if (moveIfExists(from, join(previous, name))) swapped.push([join(previous, name), from]);
    };
    const secretStaged = join(stage, ARCHIVE_PATHS.authSecret);
    const wsStaged = join(stage, ARCHIVE_PATHS.workspaceFiles);
    try {
      for (const suffix of ['', '-wal', '-shm']) aside(`${live}${suffix}`, `${storeFile}${suffix}`);
      if (existsSync(secretStaged)) aside(join(o.dataDir, AUTH_SECRET_FILE), AUTH_SECRET_FILE);
      if (existsSync(wsStaged)) aside(join(o.dataDir, 'workspaces'), 'workspaces');
      renameSync(db, live);
      chmodSync(live, 0o600);
      if (existsSync(secretStaged)) {
        renameSync(secretStaged, join(o.dataDir, AUTH_SECRET_FILE));
        chmodSync(join(o.dataDir, AUTH_SECRET_FILE), 0o600);
      }
      if (existsSync(wsStaged)) renameSync(wsStaged, join(o.dataDir, 'workspaces'));
    } catch (err) {
      // Put back what was moved aside, newest move first, so a failed restore leaves the old state.
      rmSync(live, { force: true });
      for (const [from, to] of swapped.reverse()) {
        rmSync(to, { recursive: true, force: true });
        renameSync(from, to);
      }
      throw fail(`restore failed and was rolled back: ${(err as Error).message}`);
    }

    let config: RestoreResult['config'] = 'none';
    let configCopy: string | null = null;
    const cfgStaged = join(stage, ARCHIVE_PATHS.config);
    if (existsSync(cfgStaged) && o.configPath) {
      const text = readFileSync(cfgStaged);
      if (!existsSync(o.configPath)) {
        mkdirSync(dirname(o.configPath), { recursive: true, mode: 0o700 });
        writeFileSync(o.configPath, text, { mode: 0o600 });
        config = 'written';
      } else if (readFileSync(o.configPath).equals(text)) config = 'identical';
      else {
        configCopy = `${o.configPath}.from-backup-${stamp}`;
        writeFileSync(configCopy, text, { mode: 0o600 });
        config = 'kept';
      }
    }
    const hadPrevious = existsSync(previous) && readdirSync(previous).length > 0;
    if (existsSync(previous) && !hadPrevious) rmdirSync(previous);
    return {
      manifest,
      inspection,
      previous: hadPrevious ? previous : null,
      config,
      configCopy,
      workspaceFiles: manifest.files.filter((f) => f.kind === 'workspace_file').length,
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
