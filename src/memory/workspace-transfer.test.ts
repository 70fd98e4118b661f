/** @module Unit tests: one workspace exported as JSON lines and imported elsewhere, idempotently and only when intact. */
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GatewayError } from '../protocol/index.js';
import {
  createSqliteStores,
  openSqliteDatabase,
  type MemoryEntry,
  type SqliteStores,
} from '../store/index.js';
import { exportWorkspace, importWorkspace } from './workspace-transfer.js';

const root = mkdtempSync(join(tmpdir(), 'openclaw-transfer-'));
const opened: SqliteStores[] = [];
after(async () => {
  for (const s of opened) await s.close();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
function store(): SqliteStores {
  const s = createSqliteStores(
    openSqliteDatabase({ dataDir: join(root, `db${n++}`), synchronous: 'normal' }),
  );
  opened.push(s);
  return s;
}
const strip = (e: MemoryEntry) => {
  const { seq: _s, workspace: _w, ...rest } = e;
  return rest;
};

async function exportTo(s: SqliteStores, id: string): Promise<string> {
  const file = join(root, `export-${n++}.jsonl`);
  const out = createWriteStream(file);
  await once(out, 'open');
  try {
    await exportWorkspace(s.workspaces, id, out);
  } catch (err) {
    out.destroy();
    throw err;
  }
  out.end();
  await once(out, 'finish');
  return file;
}

async function seed(s: SqliteStores): Promise<void> {
  const w = s.workspaces;
  await w.append({
    workspace: 'proj',
    kind: 'fact',
    content: '部署在 18789 埠',
    metadata: { source: 'ops' },
  });
  await w.append({ workspace: 'proj', kind: 'message', role: 'user', content: 'deploy it', task_id: 't1' });
  await w.append({
    workspace: 'proj',
    kind: 'tool_call',
    content: 'shell(ls)',
    tool_call_id: 'c1',
    tool: { name: 'shell', args: { command: 'ls' }, result: { stdout: 'a\n' }, error: null, duration_ms: 5 },
  });
  await w.compact({ workspace: 'proj', beforeSeq: 3, summary: 'the user asked to deploy' });
  await w.append({ workspace: 'other', kind: 'note', content: 'not exported' });
}

test('an exported workspace imports elsewhere entry for entry, and a second import adds nothing', async () => {
  const a = store();
  await seed(a);
  const file = await exportTo(a, 'proj');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2 + 4);
  assert.match(lines[0]!, /"format":"openclaw-workspace"/);

  const b = store();
  assert.deepEqual(await importWorkspace(b.workspaces, file), {
    workspace: 'proj',
    entries: 4,
    inserted: 4,
    skipped: 0,
  });
  assert.deepEqual(
    (await b.workspaces.entries('proj')).map(strip),
    (await a.workspaces.entries('proj')).map(strip),
  );
  assert.equal((await b.workspaces.get('proj'))!.created_at, (await a.workspaces.get('proj'))!.created_at);
  assert.equal((await b.workspaces.latestSummary('proj'))!.content, 'the user asked to deploy');
  assert.equal((await b.workspaces.search('proj', '18789')).hits.length, 1);
  assert.equal(await b.workspaces.get('other'), null);
  assert.deepEqual(await importWorkspace(b.workspaces, file), {
    workspace: 'proj',
    entries: 4,
    inserted: 0,
    skipped: 4,
  });
  const copy = await importWorkspace(b.workspaces, file, { as: 'proj-copy' });
  assert.equal(copy.inserted, 4);
  assert.equal((await b.workspaces.get('proj-copy'))!.entries, 4);
});

test('refuses a cut, edited or foreign file and writes nothing', async () => {
  const a = store();
  await seed(a);
  const file = await exportTo(a, 'proj');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const cut = join(root, 'cut.jsonl');
  writeFileSync(cut, `${lines.slice(0, -2).join('\n')}\n`);
  const edited = join(root, 'edited.jsonl');
  writeFileSync(edited, `${lines.map((l) => l.replace('deploy it', 'delete it')).join('\n')}\n`);
  const foreign = join(root, 'foreign.jsonl');
  writeFileSync(foreign, '{"hello":"world"}\n');
  const b = store();
  const invalid = (re: RegExp) => (err: unknown) =>
    err instanceof GatewayError && err.code === 'GW_ERR_PROTOCOL_INVALID_PARAMS' && re.test(err.message);
  await assert.rejects(importWorkspace(b.workspaces, cut), invalid(/no end line/));
  await assert.rejects(importWorkspace(b.workspaces, edited), invalid(/changed or cut/));
  await assert.rejects(importWorkspace(b.workspaces, foreign), invalid(/not an openclaw-workspace export/));
  await assert.rejects(
    importWorkspace(b.workspaces, file, { as: '../x' }),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_WORKSPACE_INVALID',
  );
  assert.deepEqual(await b.workspaces.totals(), { workspaces: 0, entries: 0 });
  await assert.rejects(
    exportTo(a, 'missing'),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_WORKSPACE_NOT_FOUND',
  );
});
