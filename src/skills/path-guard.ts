/** @module Confining skill paths to a root directory, symlinks included. */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GatewayError } from '../protocol/index.js';

/** A path that was checked to lie inside its root. */
export interface GuardedPath {
  /** Absolute, symlink-free path to operate on. */
  readonly real: string;
  /** The same path relative to the root's real path (`.` for the root itself), `/`-separated. */
  readonly relative: string;
  /** Whether the path existed when it was checked. */
  readonly exists: boolean;
}

/** Options of `resolveInside`. */
export interface ResolveInsideOptions {
  /** Accept a path that does not exist yet (a file about to be created). Default `false`. */
  allowMissing?: boolean;
  /** Name of the skill, for the error details. Default `'file'`. */
  skill?: string;
}

function deny(skill: string, path: string, why: string): GatewayError {
  return new GatewayError('GW_ERR_SKILL_DENIED', { skill, path, reason: `path "${path}" ${why}` });
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

function toRelative(root: string, real: string): string {
  const rel = relative(root, real);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/**
 * Resolves `userPath` (relative to `root`) to its real location and refuses it unless that location is
 * inside the real path of `root`. A path that does not exist is judged by the real path of its nearest
 * existing ancestor, which is what the kernel will follow when it is created.
 *
 * The check and the later open are two steps, so a process that can plant symlinks inside the root
 * between them could still race it; skills run on behalf of the task, whose own writes are what this
 * guards, so that window is accepted rather than paid for with per-component `O_NOFOLLOW` opens.
 */
export async function resolveInside(
  root: string,
  userPath: string,
  options: ResolveInsideOptions = {},
): Promise<GuardedPath> {
  const skill = options.skill ?? 'file';
  if (userPath.includes('\0')) throw deny(skill, userPath.replace(/\0/g, '\\0'), 'contains a NUL byte');
  if (isAbsolute(userPath)) throw deny(skill, userPath, 'is absolute; paths are relative to the workspace');
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch (err) {
    throw new GatewayError('GW_ERR_SKILL_FAILED', {
      skill,
      reason: `the directory ${root} is not usable: ${(err as Error).message}`,
    });
  }
  const lexical = resolve(rootReal, userPath);
  if (!isInside(rootReal, lexical)) throw deny(skill, userPath, 'leaves the workspace');

  let existing = lexical;
  const missing: string[] = [];
  for (;;) {
    try {
      const real = await realpath(existing);
      const full = missing.length === 0 ? real : join(real, ...[...missing].reverse());
      if (!isInside(rootReal, full)) throw deny(skill, userPath, 'resolves outside the workspace');
      if (missing.length > 0 && !options.allowMissing) {
        throw new GatewayError('GW_ERR_SKILL_FAILED', {
          skill,
          path: userPath,
          reason: `no such file: ${userPath}`,
        });
      }
      return { real: full, relative: toRelative(rootReal, full), exists: missing.length === 0 };
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      if (existing === rootReal) throw err;
      // realpath failed but the entry is there: a dangling symlink. Creating through it would write
      // wherever it points, so it is refused rather than judged by its parent.
      if (await lexists(existing)) throw deny(skill, userPath, 'goes through a dangling symlink');
      missing.push(basenameOf(existing));
      existing = resolve(existing, '..');
    }
  }
}

function basenameOf(p: string): string {
  const i = p.lastIndexOf(sep);
  return i < 0 ? p : p.slice(i + 1);
}

async function lexists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
