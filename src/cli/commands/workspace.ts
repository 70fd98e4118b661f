/**
 * @module `openclaw workspace list|show|search|note` (through a running gateway) and
 * `openclaw workspace export|import` (JSON lines, directly on the data dir; safe while the gateway runs).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { openGatewayStores } from '../../gateway/index.js';
import {
  exportWorkspace,
  importWorkspace,
  type SearchResponse,
  type WorkspaceView,
} from '../../memory/index.js';
import type { WorkspaceInfo } from '../../store/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine, printTable } from '../output.js';
import { resolveTarget, withClient, type TargetFlags } from '../target.js';

interface Flags extends TargetFlags {
  json?: boolean;
  dataDir?: string;
}

const remote = (c: Command) =>
  c
    .option('--url <url>', 'gateway URL')
    .option('--gateway <url>', 'alias of --url')
    .option('--token <token>', 'bearer token')
    .option('--config <file>', 'config file')
    .option('--json', 'machine-readable output');

const local = (c: Command) =>
  c
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'data dir (default from config, $OPENCLAW_DATA_DIR or ~/.openclaw/data)')
    .option('--json', 'machine-readable output');

function positiveInt(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new CliExit(EXIT.USAGE, `${name} ${v}: expected a whole number from 1 to ${max}`);
  return Number(v);
}

const oneLine = (s: string | null, n = 120) => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

async function openLocal(f: Flags) {
  const cfg = loadConfig({ ...(f.config ? { configPath: f.config } : {}), flags: { data_dir: f.dataDir } });
  return openGatewayStores(cfg);
}

export function registerWorkspaceCommands(program: Command): void {
  const ws = program
    .command('workspace')
    .description('workspace memory: history, notes, facts, search, export/import');

  remote(ws.command('list'))
    .description('list workspaces, most recently updated first')
    .action(async (f: Flags) => {
      const res = (await withClient(await resolveTarget(f), (c) => c.request('workspace.list', {}))) as {
        workspaces: WorkspaceInfo[];
      };
      if (f.json) return printJson(res);
      printTable(
        res.workspaces.map((w) => ({
          id: w.id,
          entries: w.entries,
          messages: w.counts.message,
          tool_calls: w.counts.tool_call,
          notes: w.counts.note,
          facts: w.counts.fact,
          updated: w.updated_at,
        })),
        ['id', 'entries', 'messages', 'tool_calls', 'notes', 'facts', 'updated'],
      );
    });

  remote(ws.command('show <id>'))
    .description('what an agent resumes with: summary, facts, notes and recent history')
    .option('--messages <n>', 'recent messages to show (default 50)')
    .action(async (id: string, f: Flags & { messages?: string }) => {
      const messages = positiveInt('--messages', f.messages, 10_000);
      const v = (await withClient(await resolveTarget(f), (c) =>
        c.request('workspace.get', { id, ...(messages ? { messages } : {}) }),
      )) as WorkspaceView;
      if (f.json) return printJson(v);
      if (!v.exists) return printLine(`workspace ${id} has no entries yet`);
      printLine(`workspace ${v.id}: ${v.entries} entries, created ${v.created_at}, updated ${v.updated_at}`);
      if (v.context) printLine(`\n${v.context}`);
      if (v.history.length) printLine('\nRecent history:');
      for (const m of v.history) {
        const calls = (m.tool_calls ?? []).map(
          (c) => `${c.function?.name ?? 'tool'}(${oneLine(c.function?.arguments ?? '', 60)})`,
        );
        printLine(
          `  ${m.role.padEnd(9)} ${calls.length ? `calls ${calls.join(', ')} ` : ''}${oneLine(m.content)}`,
        );
      }
    });

  remote(ws.command('search <id> <query...>'))
    .description('full-text (and, with embeddings configured, vector) search of one workspace')
    .option('--limit <n>', 'results (default 20)')
    .action(async (id: string, query: string[], f: Flags & { limit?: string }) => {
      const limit = positiveInt('--limit', f.limit, 200);
      const r = (await withClient(await resolveTarget(f), (c) =>
        c.request('memory.search', { workspace: id, query: query.join(' '), ...(limit ? { limit } : {}) }),
      )) as SearchResponse;
      if (f.json) return printJson(r);
      if (r.results.length === 0) return printLine(`no matches in ${id}`);
      for (const hit of r.results)
        printLine(`${hit.created_at}  ${hit.kind.padEnd(9)} ${oneLine(hit.snippet, 160)}`);
    });

  remote(ws.command('note <id> <text...>'))
    .description('add a note (or with --fact, a fact) to a workspace')
    .option('--fact', 'store it as a fact')
    .action(async (id: string, text: string[], f: Flags & { fact?: boolean }) => {
      const entry = (await withClient(await resolveTarget(f), (c) =>
        c.request('memory.append', {
          workspace: id,
          kind: f.fact ? 'fact' : 'note',
          content: text.join(' '),
        }),
      )) as { id: string };
      if (f.json) printJson(entry);
      else printLine(`added ${f.fact ? 'fact' : 'note'} ${entry.id} to ${id}`);
    });

  local(ws.command('export <id>'))
    .description('write one workspace as JSON lines (to --out, or stdout)')
    .option('--out <file>', 'output file; appears only once complete (default stdout)')
    .action(async (id: string, f: Flags & { out?: string }) => {
      const stores = await openLocal(f);
      const partial = f.out ? `${f.out}.partial-${randomBytes(4).toString('hex')}` : null;
      const out: Writable = partial
        ? createWriteStream(partial, { mode: 0o600, flags: 'wx' })
        : process.stdout;
      try {
        const { entries } = await exportWorkspace(stores.workspaces, id, out);
        if (partial) {
          out.end();
          await once(out, 'finish');
          renameSync(partial, f.out!);
          process.stderr.write(`exported ${entries} entries of ${id} to ${f.out}\n`);
        }
      } catch (err) {
        if (partial) {
          out.destroy();
          rmSync(partial, { force: true });
        }
        throw err;
      } finally {
        await stores.close();
      }
    });

  local(ws.command('import <file>'))
    .description('import a workspace export; entries already present are skipped, so re-running is safe')
    .option('--as <id>', 'import under another workspace id')
    .action(async (file: string, f: Flags & { as?: string }) => {
      const stores = await openLocal(f);
      try {
        const r = await importWorkspace(stores.workspaces, file, f.as ? { as: f.as } : {});
        if (f.json) printJson(r);
        else
          printLine(
            `imported ${r.inserted} of ${r.entries} entries into ${r.workspace} (${r.skipped} already there)`,
          );
      } finally {
        await stores.close();
      }
    });
}
