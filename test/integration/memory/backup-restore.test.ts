/**
 * @module Integration: `openclaw backup create` from a second process while a real gateway takes
 * memory appends and tasks, then `openclaw backup restore`: the archive is one point-in-time snapshot,
 * the restore refuses a running gateway, and the restored store has exactly the archived rows, on the
 * same machine and on a fresh one (config and auth secret included, so old tokens still work).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { GatewayClient } from '../../../src/client/index.js';
import type { WorkspaceView, SearchResponse } from '../../../src/memory/index.js';
import { dumpTables } from '../../../src/memory/test-support/dump-tables.js';
import { newMemoryGateway, type MemoryGateway } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'openclaw-backup-it-'));
const gateways: MemoryGateway[] = [];
after(async () => {
  for (const g of gateways) await g.close();
  rmSync(scratch, { recursive: true, force: true });
});

function extract(archive: string): { db: string; manifest: Record<string, any> } {
  const dir = mkdtempSync(join(scratch, 'x-'));
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  return {
    db: join(dir, 'data', 'openclaw.db'),
    manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, any>,
  };
}

/** memory_entries rows by seq (the first column). */
function entriesBySeq(rows: string[]): Map<number, string> {
  return new Map(rows.map((r) => [(JSON.parse(r) as unknown[])[0] as number, r]));
}

async function writeLoad(
  op: GatewayClient,
  until: () => boolean,
): Promise<{ appends: number; tasks: number }> {
  const counts = { appends: 0, tasks: 0 };
  const writer = async (w: number) => {
    for (let i = 0; !until(); i++) {
      await op.request('memory.append', {
        workspace: `ws-${w}`,
        role: i % 2 ? 'assistant' : 'user',
        content: `writer ${w} message ${i} 執行每日報告生成`,
      });
      counts.appends++;
    }
  };
  const submitter = async () => {
    while (!until()) {
      await op.request('task.submit', { skill: 'echo', args: { message: 'load' }, workspace: 'ws-0' });
      counts.tasks++;
    }
  };
  await Promise.all([writer(0), writer(1), writer(2), submitter()]);
  return counts;
}

describe('backup and restore of a running gateway', () => {
  // Compaction would flag entries after insert (`compacted`), and the comparison below relies on
  // entries never changing once written; the load passes the default bound of 200 messages.
  const g = newMemoryGateway({
    config: {
      gateway: { local_node: { capabilities: ['echo', 'shell'] } },
      memory: { compaction: { max_messages: 0 } },
    },
  });
  gateways.push(g);
  const archive = join(scratch, 'live.tar.gz');
  let snapshot: Record<string, string[]>;

  test('backup create takes one consistent snapshot while writes continue', async () => {
    await g.start();
    const op = await g.client();
    await op.request('memory.append', { workspace: 'ws-0', kind: 'fact', content: 'reports at 09:00 每日' });
    let done = false;
    const load = writeLoad(op, () => done);
    try {
      // Let the load build up, then archive twice from another process while it runs.
      await new Promise((r) => setTimeout(r, 700));
      const first = await g.cli(['backup', 'create', '--out', join(scratch, 'first.tar.gz')]);
      assert.equal(first.code, 0, first.stderr);
      const res = await g.cli(['backup', 'create', '--out', archive, '--json']);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout) as { manifest: Record<string, any>; bytes: number };
      assert.ok(out.bytes > 0);
      assert.equal(out.manifest.store.integrity, 'ok');
    } finally {
      done = true;
    }
    const counts = await load;
    assert.ok(counts.appends > 50 && counts.tasks > 5, JSON.stringify(counts));

    const refused = await g.cli(['backup', 'restore', archive]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /a gateway is using .*stop it first.*--force/);
    await g.stop();

    const { db, manifest } = extract(archive);
    snapshot = dumpTables(db);
    const live = dumpTables(join(g.dataDir, 'openclaw.db'));
    // Entries never change after insert: the snapshot holds exactly the live rows up to a point.
    const snap = entriesBySeq(snapshot.memory_entries!);
    const all = entriesBySeq(live.memory_entries!);
    const cut = Math.max(...snap.keys());
    assert.ok(snap.size > 10 && all.size > snap.size, `${snap.size} of ${all.size}`);
    for (const [seq, row] of all) {
      if (seq <= cut) assert.equal(snap.get(seq), row, `entry ${seq}`);
      else assert.equal(snap.has(seq), false);
    }
    const liveTaskIds = new Set(live.tasks!.map((r) => (JSON.parse(r) as unknown[])[1]));
    for (const r of snapshot.tasks!) assert.ok(liveTaskIds.has((JSON.parse(r) as unknown[])[1]));
    assert.equal(manifest.store.counts.memory_entries, snap.size);
    assert.equal(manifest.store.counts.tasks, snapshot.tasks!.length);
    assert.deepEqual(manifest.files.map((f: { path: string }) => f.path).slice(0, 3), [
      'data/openclaw.db',
      'data/auth.secret',
      'config/config.yaml',
    ]);
  });

  test('backup restore brings back exactly the archived rows, and the gateway serves them', async () => {
    const res = await g.cli(['backup', 'restore', archive]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /restored .* into /);
    assert.match(res.stdout, /the replaced files are in .*pre-restore-/);
    assert.deepEqual(dumpTables(join(g.dataDir, 'openclaw.db')), snapshot);

    await g.start();
    const op = await g.client();
    const v = (await op.request('workspace.get', { id: 'ws-0' })) as WorkspaceView;
    const expected = [...entriesBySeq(snapshot.memory_entries!).values()].filter((r) =>
      r.includes('"ws-0"'),
    ).length;
    assert.equal(v.entries, expected);
    assert.match(v.context, /reports at 09:00/);
    const hits = (await op.request('memory.search', {
      workspace: 'ws-1',
      query: '每日報告',
      limit: 200,
    })) as SearchResponse;
    assert.ok(hits.results.length > 0);
    await g.stop();
  });

  test('a restore on a fresh machine brings back the config and the auth secret', async () => {
    const home = mkdtempSync(join(scratch, 'fresh-'));
    const fresh = newMemoryGateway({ home: join(home, 'h') });
    gateways.push(fresh);
    rmSync(join(fresh.home, 'config.yaml'));
    const res = await fresh.cli(['backup', 'restore', archive, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { config: string; previous: string | null };
    assert.equal(out.config, 'written');
    assert.equal(out.previous, null);
    assert.equal(
      readFileSync(join(fresh.home, 'config.yaml'), 'utf8'),
      readFileSync(join(g.home, 'config.yaml'), 'utf8'),
    );
    assert.equal(
      readFileSync(join(fresh.dataDir, 'auth.secret'), 'utf8'),
      readFileSync(join(g.dataDir, 'auth.secret'), 'utf8'),
    );
    assert.deepEqual(dumpTables(join(fresh.dataDir, 'openclaw.db')), snapshot);
    await fresh.start();
    const op = await fresh.client();
    const list = (await op.request('workspace.list', {})) as { workspaces: Array<{ id: string }> };
    assert.deepEqual(list.workspaces.map((w) => w.id).sort(), ['ws-0', 'ws-1', 'ws-2']);
  });

  test('backup restore rejects a file that is not an archive, with a clear message and exit 2', async () => {
    const bogus = join(scratch, 'bogus.tar.gz');
    writeFileSync(bogus, 'nope\n');
    const res = await g.cli(['backup', 'restore', bogus]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /not a readable backup archive/);
    const none = await newMemoryGateway({ home: join(scratch, 'empty-home') }).cli([
      'backup',
      'create',
      '--out',
      join(scratch, 'n.tar.gz'),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no store at .*nothing to back up/);
  });
});
