/**
 * @module `openclaw workspace export|import`: one workspace as JSON lines (a header, one line per
 * entry, a trailer with the count and a checksum). Import checks the whole file before writing, keeps
 * entry ids, and skips ids already present, so importing one file twice adds nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { GatewayError, MemoryKindSchema, MessageRoleSchema, WorkspaceIdSchema } from '../protocol/index.js';
import type { MemoryEntry, NewMemoryEntry, WorkspaceStore } from '../store/index.js';

export const WORKSPACE_EXPORT_FORMAT = 'openclaw-workspace';
export const WORKSPACE_EXPORT_VERSION = 1;

const HeaderSchema = z.object({
  type: z.literal('workspace'),
  format: z.literal(WORKSPACE_EXPORT_FORMAT),
  version: z.int().min(1),
  id: WorkspaceIdSchema,
  created_at: z.string(),
  exported_at: z.string(),
});

const EntrySchema = z.object({
  type: z.literal('entry'),
  id: z.string().min(1).max(128),
  kind: MemoryKindSchema,
  role: MessageRoleSchema.nullable(),
  content: z.string(),
  task_id: z.string().nullable(),
  node_id: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  tool_calls: z.array(z.unknown()).nullable(),
  tool_call_id: z.string().nullable(),
  tool: z
    .object({
      name: z.string(),
      args: z.unknown(),
      result: z.unknown(),
      error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
      duration_ms: z.number().nullable(),
    })
    .nullable(),
  compacted: z.boolean(),
  created_at: z.string(),
});

const TrailerSchema = z.object({
  type: z.literal('end'),
  entries: z.int().nonnegative(),
  sha256: z.string(),
});

function entryLine(e: MemoryEntry): string {
  const { seq: _seq, workspace: _ws, ...rest } = e;
  return JSON.stringify({ type: 'entry', ...rest });
}

async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

/** Writes the workspace to `out` (not ended); `GW_ERR_WORKSPACE_NOT_FOUND` when it has no entries. */
export async function exportWorkspace(
  store: WorkspaceStore,
  id: string,
  out: Writable,
): Promise<{ entries: number }> {
  const info = await store.get(id);
  if (!info) throw new GatewayError('GW_ERR_WORKSPACE_NOT_FOUND', { id });
  await writeLine(
    out,
    JSON.stringify({
      type: 'workspace',
      format: WORKSPACE_EXPORT_FORMAT,
      version: WORKSPACE_EXPORT_VERSION,
      id,
      created_at: info.created_at,
      exported_at: new Date().toISOString(),
    }),
  );
  const hash = createHash('sha256');
  let count = 0;
  let after = 0;
  // Paged by seq, so entries appended meanwhile are either in (below the last page) or wholly out.
  for (;;) {
    const page = await store.entries(id, { from: 'oldest', afterSeq: after, limit: 1000 });
    if (page.length === 0) break;
    for (const e of page) {
      const line = entryLine(e);
      hash.update(`${line}\n`);
      await writeLine(out, line);
      count++;
    }
    after = page[page.length - 1]!.seq;
  }
  await writeLine(out, JSON.stringify({ type: 'end', entries: count, sha256: hash.digest('hex') }));
  return { entries: count };
}

const bad = (file: string, line: number, reason: string) =>
  new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: `${file}:${line}: ${reason}`, path: file });

/** One pass over the file: header, entries (each handed to `onEntry`), trailer. */
async function readExport(
  file: string,
  onEntry: (e: z.infer<typeof EntrySchema>) => Promise<void> | void,
): Promise<{ header: z.infer<typeof HeaderSchema>; entries: number }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header: z.infer<typeof HeaderSchema> | null = null;
  let trailer: z.infer<typeof TrailerSchema> | null = null;
  const hash = createHash('sha256');
  let n = 0;
  let count = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    if (trailer) throw bad(file, n, 'content after the end line');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw bad(file, n, 'not valid JSON');
    }
    const type = (value as { type?: unknown }).type;
    if (header === null) {
      const h = HeaderSchema.safeParse(value);
      if (!h.success)
        throw bad(file, n, `not an ${WORKSPACE_EXPORT_FORMAT} export (${h.error.issues[0]!.message})`);
      if (h.data.version > WORKSPACE_EXPORT_VERSION)
        throw bad(file, n, `export version ${h.data.version} is newer than this openclaw reads`);
      header = h.data;
    } else if (type === 'end') {
      const t = TrailerSchema.safeParse(value);
      if (!t.success) throw bad(file, n, 'malformed end line');
      trailer = t.data;
    } else {
      const e = EntrySchema.safeParse(value);
      if (!e.success)
        throw bad(file, n, `${e.error.issues[0]!.path.join('.')}: ${e.error.issues[0]!.message}`);
      hash.update(`${line}\n`);
      count++;
      await onEntry(e.data);
    }
  }
  if (!header) throw bad(file, 1, 'the file is empty');
  if (!trailer) throw bad(file, n, 'no end line: the export is incomplete');
  if (trailer.entries !== count || trailer.sha256 !== hash.digest('hex'))
    throw bad(
      file,
      n,
      `the end line says ${trailer.entries} entries with another checksum: the file was changed or cut`,
    );
  return { header, entries: count };
}

export interface ImportResult {
  workspace: string;
  entries: number;
  inserted: number;
  skipped: number;
}

/** Imports an export into `as` (default: its own id). Nothing is written unless the whole file checks out. */
export async function importWorkspace(
  store: WorkspaceStore,
  file: string,
  options: { as?: string } = {},
): Promise<ImportResult> {
  if (options.as !== undefined && !WorkspaceIdSchema.safeParse(options.as).success)
    throw new GatewayError('GW_ERR_WORKSPACE_INVALID', { id: options.as });
  const { header, entries } = await readExport(file, () => undefined);
  const workspace = options.as ?? header.id;
  let batch: NewMemoryEntry[] = [];
  const totals = { inserted: 0, skipped: 0 };
  const flush = async () => {
    const r = await store.appendMany(batch);
    totals.inserted += r.inserted;
    totals.skipped += r.skipped;
    batch = [];
  };
  await readExport(file, async ({ type: _t, ...e }) => {
    batch.push({ ...e, workspace });
    if (batch.length >= 500) await flush();
  });
  await flush();
  return { workspace, entries, ...totals };
}
