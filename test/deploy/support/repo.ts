/** @module Locates the repository and its deploy/ files from both test/ (tsx) and dist/test/ (compiled). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The repository root: the nearest ancestor whose package.json is the `openclaw` package. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'openclaw') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root (package.json of "openclaw") not found');
    dir = parent;
  }
}

/** Absolute path of a file under deploy/, e.g. `deployPath('nginx', 'openclaw.conf')`. */
export function deployPath(...parts: string[]): string {
  return join(repoRoot(), 'deploy', ...parts);
}

/** Absolute path of a file under test/deploy/fixtures/ (fixtures are not compiled into dist/). */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot(), 'test', 'deploy', 'fixtures', ...parts);
}

/** Text of a file under deploy/. */
export function readDeploy(...parts: string[]): string {
  return readFileSync(deployPath(...parts), 'utf8');
}
