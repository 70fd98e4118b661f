/** @module Text search over the workspace for the file skill. */
import { open } from 'node:fs/promises';
import { GatewayError } from '../protocol/index.js';
import { walk } from './file-walk.js';
import type { GuardedPath } from './path-guard.js';

export interface SearchMatch {
  path: string;
  /** 1-based line number. */
  line: number;
  text: string;
}

export interface SearchResult {
  pattern: string;
  matches: SearchMatch[];
  files_searched: number;
  /** Whether the match or file cap stopped the search early. */
  truncated: boolean;
}

/** Limits of `searchFiles`. */
export interface SearchLimits {
  maxResults: number;
  maxFileBytes: number;
  maxFiles: number;
  maxLineChars: number;
}

const SKIP_DIRS: ReadonlySet<string> = new Set(['.git']);
const BINARY_SNIFF_BYTES = 8000;

/** Builds the line test; an invalid regex is the caller's bad argument, not a skill failure. */
function matcher(pattern: string, regex: boolean, ignoreCase: boolean): (line: string) => boolean {
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(pattern, ignoreCase ? 'i' : '');
    } catch (err) {
      throw new GatewayError('GW_ERR_SKILL_INVALID_ARGS', {
        skill: 'file',
        path: 'pattern',
        reason: `pattern: ${(err as Error).message}`,
      });
    }
    return (line) => re.test(line);
  }
  if (!ignoreCase) return (line) => line.includes(pattern);
  const lower = pattern.toLowerCase();
  return (line) => line.toLowerCase().includes(lower);
}

async function readText(abs: string, maxBytes: number): Promise<string | undefined> {
  const fh = await open(abs, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buf = await fh.readFile();
    // Binary files (a NUL early on, as git judges them) would only produce noise.
    if (buf.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Searches text files at or below `root` line by line: `pattern` is a substring unless `regex`.
 * Files over `maxFileBytes`, binary files, symlinks and `.git` are skipped.
 */
export async function searchFiles(
  root: GuardedPath,
  isDir: boolean,
  query: { pattern: string; regex: boolean; ignoreCase: boolean },
  limits: SearchLimits,
  signal: AbortSignal,
): Promise<SearchResult> {
  const test = matcher(query.pattern, query.regex, query.ignoreCase);
  const result: SearchResult = { pattern: query.pattern, matches: [], files_searched: 0, truncated: false };
  const files = isDir
    ? walk(root.real, root.relative, { recursive: true, skipDirs: SKIP_DIRS, signal })
    : single(root);
  for await (const entry of files) {
    if (entry.type !== 'file') continue;
    if (result.files_searched >= limits.maxFiles) {
      result.truncated = true;
      break;
    }
    let text: string | undefined;
    try {
      text = await readText(entry.abs, limits.maxFileBytes);
    } catch {
      continue;
    }
    if (text === undefined) continue;
    result.files_searched++;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!test(line)) continue;
      if (result.matches.length >= limits.maxResults) {
        result.truncated = true;
        return result;
      }
      const shown = line.length > limits.maxLineChars ? `${line.slice(0, limits.maxLineChars)}…` : line;
      result.matches.push({ path: entry.rel, line: i + 1, text: shown });
    }
    if (signal.aborted) break;
  }
  return result;
}

async function* single(p: GuardedPath): AsyncGenerator<{ abs: string; rel: string; type: 'file' }> {
  yield { abs: p.real, rel: p.relative, type: 'file' };
}
