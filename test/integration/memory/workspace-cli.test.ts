/**
 * @module Integration: `openclaw workspace ...` against a real gateway: notes, list, show, search over
 * the API; export and import as JSON lines straight on the data dir while the gateway runs; and a node
 * that restores its workspace state with workspace.get after reconnecting (R3.3).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkspaceView } from '../../../src/memory/index.js';
import { newMemoryGateway, type MemoryGateway } from './support.js';

describe('workspace CLI', () => {
  const g: MemoryGateway = newMemoryGateway();
  before(async () => {
    await g.start();
  });
  after(async () => g.close());

  // The gateway listens on port 0, so API commands are told its URL.
  const api = (args: string[]) => g.cli([...args, '--url', g.gw!.wsUrl]);

  test('note, list, show and search go through the running gateway', async () => {
    const note = await api(['workspace', 'note', 'ops', '每日報告寄給', 'ops@example.com']);
    assert.equal(note.code, 0, note.stderr);
    assert.match(note.stdout, /^added note \S+ to ops/);
    assert.equal((await api(['workspace', 'note', 'ops', '--fact', 'the gateway listens on 18789'])).code, 0);
    const op = await g.client();
    await op.request('memory.append', {
      workspace: 'ops',
      role: 'user',
      content: 'generate the daily report',
    });

    const list = await api(['workspace', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+ENTRIES\s+MESSAGES/);
    assert.match(list.stdout, /\nops\s+3\s+1\s+0\s+1\s+1\s/);
    const show = await api(['workspace', 'show', 'ops']);
    assert.match(show.stdout, /Facts:\n- the gateway listens on 18789/);
    assert.match(show.stdout, /user\s+generate the daily report/);
    const search = await api(['workspace', 'search', 'ops', '報告', '--json']);
    assert.equal(search.code, 0, search.stderr);
    const r = JSON.parse(search.stdout) as { results: Array<{ snippet: string }> };
    assert.deepEqual(
      r.results.map((x) => x.snippet),
      ['每日«報告»寄給 ops@example.com'],
    );
    const bad = await api(['workspace', 'search', 'ops', 'x', '--limit', '0']);
    assert.equal(bad.code, 2);
  });

  test('export and import move a workspace while the gateway runs, and a second import adds nothing', async () => {
    const file = join(g.home, 'ops.jsonl');
    const exp = await g.cli(['workspace', 'export', 'ops', '--out', file]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stderr, /exported 3 entries of ops/);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 5);
    const stdout = await g.cli(['workspace', 'export', 'ops']);
    assert.equal(stdout.stdout.trim().split('\n').length, 5);

    const imp = await g.cli(['workspace', 'import', file, '--as', 'ops-copy']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /imported 3 of 3 entries into ops-copy \(0 already there\)/);
    const again = await g.cli(['workspace', 'import', file, '--as', 'ops-copy', '--json']);
    assert.deepEqual(JSON.parse(again.stdout), {
      workspace: 'ops-copy',
      entries: 3,
      inserted: 0,
      skipped: 3,
    });
    const op = await g.client();
    const copy = (await op.request('workspace.get', { id: 'ops-copy' })) as WorkspaceView;
    assert.equal(copy.entries, 3);
    assert.deepEqual(
      copy.history.map((m) => m.content),
      ['generate the daily report'],
    );

    const missing = await g.cli(['workspace', 'export', 'nope', '--out', join(g.home, 'nope.jsonl')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /workspace nope not found/);
  });

  test('a node that reconnects restores its workspace state with workspace.get', async () => {
    const first = await g.client('node');
    await first.request('memory.append', { workspace: 'job-7', role: 'user', content: 'step one' });
    await first.request('memory.append', {
      workspace: 'job-7',
      role: 'assistant',
      content: 'done with step one',
    });
    await first.close();
    const again = await g.client('node');
    const v = (await again.request('workspace.get', { id: 'job-7' })) as WorkspaceView;
    assert.deepEqual(
      v.history.map((m) => [m.role, m.content]),
      [
        ['user', 'step one'],
        ['assistant', 'done with step one'],
      ],
    );
    assert.equal(v.messages[0]!.node_id, 'it-node');
  });
});
