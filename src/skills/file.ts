/** @module The file skill: read, write, list and search inside the workspace, and nowhere else. */
import { appendFile, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { searchFiles, type SearchResult } from './file-search.js';
import { walk, type EntryType } from './file-walk.js';
import { resolveInside } from './path-guard.js';
import { defineSkill, type Skill } from './skill.js';

const RelPath = z.string().min(1).max(4096).describe('Path relative to the workspace root');
const Encoding = z.enum(['utf8', 'base64']).default('utf8');

export const FileArgsSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('read'),
    path: RelPath,
    encoding: Encoding.describe('utf8 text, or base64 for binary files'),
  }),
  z.strictObject({
    op: z.literal('write'),
    path: RelPath,
    content: z.string().describe('Data to write (in the given encoding)'),
    append: z.boolean().default(false).describe('Append instead of replacing'),
    encoding: Encoding.describe('Encoding of content'),
  }),
  z.strictObject({
    op: z.literal('list'),
    path: RelPath.default('.'),
    recursive: z.boolean().default(false),
  }),
  z.strictObject({
    op: z.literal('search'),
    pattern: z.string().min(1).max(1000).describe('Substring to find, or a regular expression with regex'),
    path: RelPath.default('.').describe('File or directory to search (relative to the workspace root)'),
    regex: z.boolean().default(false),
    ignore_case: z.boolean().default(false),
  }),
]);
export type FileArgs = z.infer<typeof FileArgsSchema>;

export interface ListEntry {
  path: string;
  type: EntryType;
  size: number;
}

/** Options of `createFileSkill`. */
export interface FileSkillOptions {
  /** Largest file `read` returns. Default 1 MiB. */
  maxReadBytes?: number;
  /** Largest `content` one `write` accepts, and largest file an `append` may grow. Default 10 MiB. */
  maxWriteBytes?: number;
  /** Entries one `list` returns. Default 1000. */
  maxListEntries?: number;
  /** Matches one `search` returns. Default 200. */
  maxSearchResults?: number;
  /** Files one `search` reads. Default 5000. */
  maxSearchFiles?: number;
  /** Files over this are skipped by `search`. Default 1 MiB. */
  maxSearchFileBytes?: number;
}

function failed(reason: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('GW_ERR_SKILL_FAILED', { skill: 'file', reason, ...extra });
}

/** Creates the file skill (capability `file`). */
export function createFileSkill(options: FileSkillOptions = {}): Skill<FileArgs> {
  const maxReadBytes = options.maxReadBytes ?? 1024 * 1024;
  const maxWriteBytes = options.maxWriteBytes ?? 10 * 1024 * 1024;
  const maxListEntries = options.maxListEntries ?? 1000;
  const limits = {
    maxResults: options.maxSearchResults ?? 200,
    maxFiles: options.maxSearchFiles ?? 5000,
    maxFileBytes: options.maxSearchFileBytes ?? 1024 * 1024,
    maxLineChars: 500,
  };

  return defineSkill({
    name: 'file',
    description:
      'Reads, writes, lists and searches files in the workspace. Paths are relative to the workspace ' +
      'root; absolute paths, ".." and symlinks leading outside it are refused.',
    capability: 'file',
    args: FileArgsSchema,
    async run(args, ctx) {
      await mkdir(ctx.workspaceDir, { recursive: true });
      const root = ctx.workspaceDir;
      switch (args.op) {
        case 'read': {
          const p = await resolveInside(root, args.path);
          const fh = await open(p.real, 'r');
          try {
            const st = await fh.stat();
            if (st.isDirectory())
              throw failed(`${args.path} is a directory; use op "list"`, { path: args.path });
            if (st.size > maxReadBytes) {
              throw failed(`${args.path} is ${st.size} bytes, over the read limit of ${maxReadBytes}`, {
                path: args.path,
              });
            }
            const buf = await fh.readFile();
            return {
              path: p.relative,
              encoding: args.encoding,
              size: buf.length,
              content: buf.toString(args.encoding),
            };
          } finally {
            await fh.close();
          }
        }
        case 'write': {
          const data = Buffer.from(args.content, args.encoding);
          if (data.length > maxWriteBytes) {
            throw failed(`content is ${data.length} bytes, over the write limit of ${maxWriteBytes}`);
          }
          const p = await resolveInside(root, args.path, { allowMissing: true });
          if (p.relative === '.') throw failed('cannot write to the workspace root itself');
          if (p.exists) {
            const st = await stat(p.real);
            if (st.isDirectory()) throw failed(`${args.path} is a directory`, { path: args.path });
            if (args.append && st.size + data.length > maxWriteBytes) {
              throw failed(`appending would grow ${args.path} past the write limit of ${maxWriteBytes}`);
            }
          }
          await mkdir(dirname(p.real), { recursive: true });
          if (args.append) await appendFile(p.real, data);
          else await writeFile(p.real, data);
          const size = (await stat(p.real)).size;
          return { path: p.relative, bytes_written: data.length, size };
        }
        case 'list': {
          const p = await resolveInside(root, args.path);
          if (!(await stat(p.real)).isDirectory()) {
            throw failed(`${args.path} is not a directory`, { path: args.path });
          }
          const entries: ListEntry[] = [];
          let truncated = false;
          for await (const e of walk(p.real, p.relative, { recursive: args.recursive, signal: ctx.signal })) {
            if (entries.length >= maxListEntries) {
              truncated = true;
              break;
            }
            entries.push({ path: e.rel, type: e.type, size: e.size });
          }
          return { path: p.relative, entries, truncated };
        }
        case 'search': {
          const p = await resolveInside(root, args.path);
          const isDir = (await stat(p.real)).isDirectory();
          const result: SearchResult = await searchFiles(
            p,
            isDir,
            { pattern: args.pattern, regex: args.regex, ignoreCase: args.ignore_case },
            limits,
            ctx.signal,
          );
          return result;
        }
      }
    },
  });
}
