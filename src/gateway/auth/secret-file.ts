/** @module Finds the server auth secret: configured, or generated once into `<dataDir>/auth.secret` (mode 0600). */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../protocol/index.js';
import { MIN_SECRET_LENGTH, assertUsableSecret } from './secret-policy.js';

export const AUTH_SECRET_FILE = 'auth.secret';

export interface ResolveAuthSecretOptions {
  /**
   * The secret from `OPENCLAW_AUTH_SECRET` or `gateway.auth.secret`. `undefined` means not configured;
   * any string, even an empty one (an unset `${VAR}` in YAML), is checked and refused if too short.
   */
  configured?: string | undefined;
  /** The gateway's data dir (`OPENCLAW_DATA_DIR`); created with mode 0700 when missing. */
  dataDir: string;
  /**
   * How long to wait for another process that has created the file but not yet written it before
   * calling the file empty. Default: 2000 ms.
   */
  writerGraceMs?: number;
}

export interface ResolvedAuthSecret {
  secret: string;
  /** `config`: configured; `file`: read from an existing file; `generated`: this call created the file. */
  source: 'config' | 'file' | 'generated';
  /** The secret file, unless the secret was configured. */
  path?: string;
}

/** Where the generated secret lives for a data dir, so local CLI commands can find it. */
export function authSecretPath(dataDir: string): string {
  return join(dataDir, AUTH_SECRET_FILE);
}

function fileError(path: string, action: string, err: unknown): GatewayError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  return new GatewayError('GW_ERR_CONFIG_INVALID', {
    path,
    reason:
      `cannot ${action} the auth secret file ${path} (${code}); fix its permissions, set OPENCLAW_DATA_DIR ` +
      `to a writable directory, or set OPENCLAW_AUTH_SECRET / gateway.auth.secret`,
  });
}

/**
 * Reads the secret file; resolves null when it does not exist. A file that is empty or too short is
 * re-read for up to `graceMs`, because another process may have created it (exclusive create) and not
 * yet written it; after that it is refused with `GW_ERR_CONFIG_INVALID`.
 */
export async function readAuthSecretFile(path: string, graceMs = 2000): Promise<string | null> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: part of the data dir path is a file; creating the dir will report that more clearly.
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw fileError(path, 'read', err);
    }
    const secret = text.trim();
    if (secret.length >= MIN_SECRET_LENGTH) return secret;
    if (Date.now() >= deadline) {
      assertUsableSecret(secret, `${path} (delete it to have a new secret generated)`);
    }
    await sleep(20);
  }
}

/**
 * Returns the configured secret, else the one in `<dataDir>/auth.secret`, else generates 32 random bytes
 * (hex) into that file. Several processes starting at once on one data dir agree on a single secret:
 * only the exclusive create (`wx`) of one of them succeeds, and the others read what it wrote.
 */
export async function resolveAuthSecret(options: ResolveAuthSecretOptions): Promise<ResolvedAuthSecret> {
  if (options.configured !== undefined) {
    assertUsableSecret(options.configured);
    return { secret: options.configured, source: 'config' };
  }
  const path = authSecretPath(options.dataDir);
  const grace = options.writerGraceMs ?? 2000;
  const existing = await readAuthSecretFile(path, grace);
  if (existing !== null) return { secret: existing, source: 'file', path };

  try {
    // An existing data dir keeps its mode: the operator may share it deliberately; the file is 0600 anyway.
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fileError(path, 'create the data dir for', err);
  }
  // Two rounds cover a winner that created the file but failed to write it (and so removed it again).
  for (let round = 0; ; round++) {
    const created = await createSecretFile(path);
    if (created !== null) return { secret: created, source: 'generated', path };
    const winner = await readAuthSecretFile(path, grace);
    if (winner !== null) return { secret: winner, source: 'file', path };
    if (round >= 1) {
      // Exists for O_EXCL yet not for reading: most likely a dangling symlink, which is never followed.
      const link = await lstat(path).then(
        (st) => st.isSymbolicLink(),
        () => false,
      );
      const code = link ? 'a symbolic link to a missing file; remove it' : 'ENOENT';
      throw fileError(path, 'read', Object.assign(new Error(), { code }));
    }
  }
}

/** Exclusively creates the file with a fresh secret; resolves null when another process got there first. */
async function createSecretFile(path: string): Promise<string | null> {
  let handle;
  try {
    // O_EXCL also refuses to follow a symlink planted at the path.
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw fileError(path, 'create', err);
  }
  const secret = randomBytes(32).toString('hex');
  try {
    await handle.writeFile(`${secret}\n`, 'utf8');
    await handle.sync();
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => undefined);
    // Leaving an empty file behind would make every later start refuse it.
    await unlink(path).catch(() => undefined);
    throw fileError(path, 'write', err);
  }
  return secret;
}

export interface SecretFileMode {
  /** True when the file exists and neither group nor others have any access to it (or on Windows). */
  ok: boolean;
  /** Permission bits (e.g. 0o600), or null when the file does not exist. */
  mode: number | null;
  exists: boolean;
}

/** Checks the secret file's permissions, for `openclaw doctor`. Never reads the file's contents. */
export async function checkSecretFileMode(path: string): Promise<SecretFileMode> {
  try {
    const st = await stat(path);
    const mode = st.mode & 0o777;
    // Windows has no POSIX permission bits to check; the ACL of the profile dir protects the file.
    const ok = process.platform === 'win32' ? true : (mode & 0o077) === 0;
    return { ok, mode, exists: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, mode: null, exists: false };
    throw fileError(path, 'inspect', err);
  }
}

/** Formats permission bits the way `ls`/`chmod` users read them, e.g. `0600`. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
