/** @module Bounded directory walks for the file skill's list and search (symlinks never followed). */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface WalkEntry {
  /** Absolute path. */
  readonly abs: string;
  /** Relative to the workspace root, `/`-separated. */
  readonly rel: string;
  readonly type: EntryType;
  readonly size: number;
}

/** Options of `walk`. */
export interface WalkOptions {
  /** Descend into subdirectories. Default `false`. */
  recursive?: boolean;
  /** Directory names not descended into (still listed). Default none. */
  skipDirs?: ReadonlySet<string>;
  /** Stops the walk early. */
  signal?: AbortSignal;
}

/**
 * Yields the entries below `abs` in sorted, breadth-first order. Symlinks are reported, never
 * followed, so a link to `/` inside the workspace cannot drag a walk outside it.
 */
export async function* walk(abs: string, rel: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const queue: Array<{ abs: string; rel: string }> = [{ abs, rel }];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    let names: string[];
    try {
      names = (await readdir(dir.abs)).sort();
    } catch {
      // A directory removed or unreadable mid-walk is skipped rather than failing the whole listing.
      continue;
    }
    for (const name of names) {
      if (options.signal?.aborted) return;
      const childAbs = join(dir.abs, name);
      const childRel = dir.rel === '.' ? name : `${dir.rel}/${name}`;
      let type: EntryType = 'other';
      let size = 0;
      try {
        const st = await lstat(childAbs);
        size = st.size;
        if (st.isSymbolicLink()) type = 'symlink';
        else if (st.isDirectory()) type = 'dir';
        else if (st.isFile()) type = 'file';
      } catch {
        continue;
      }
      yield { abs: childAbs, rel: childRel, type, size };
      if (type === 'dir' && options.recursive && !options.skipDirs?.has(name)) {
        queue.push({ abs: childAbs, rel: childRel });
      }
    }
  }
}
