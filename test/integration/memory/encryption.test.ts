/**
 * @module Integration: encryption at rest through a real gateway. With OPENCLAW_WORKSPACE_ENCRYPTION_KEY
 * set, what goes in through memory.append and the REST API is found by search but never appears in the
 * database file, its WAL or a backup archive; without the key (the control) it does. A wrong key stops
 * start-up with a clear error; `openclaw store rekey` rotates the key with the gateway stopped only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { SearchResponse } from '../../../src/memory/index.js';
import { createTokenService, InMemoryRevocationStore } from '../../../src/gateway/index.js';
import { newMemoryGateway, type MemoryGateway } from './support.js';

const KEY = 'integration-key-with-at-least-32-chars';
const NEW_KEY = 'rotated-integration-key-of-32-chars-plus';
const gateways: MemoryGateway[] = [];
after(async () => {
  for (const g of gateways) await g.close();
});

async function writeMarkers(g: MemoryGateway, marker: string, zh: string): Promise<void> {
  const op = await g.client();
  await op.request('memory.append', { workspace: 'secret', kind: 'note', content: `note ${marker}` });
  await op.request('memory.append', { workspace: 'secret', role: 'user', content: `${zh} 在對話裡` });
  await op.request('memory.append', {
    workspace: 'secret',
    tool: { name: 'shell', args: { command: `echo ${marker}` }, result: { stdout: marker } },
  });
  const secret = readFileSync(join(g.dataDir, 'auth.secret'), 'utf8').trim();
  const token = createTokenService({ secret, revocations: new InMemoryRevocationStore() }).issue({
    role: 'operator',
  }).token;
  const res = await fetch(`${g.gw!.httpUrl}/api/workspaces/secret/memory`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'fact', content: `rest ${marker}` }),
  });
  assert.equal(res.status, 201);
  const found = (await op.request('memory.search', { workspace: 'secret', query: marker })) as SearchResponse;
  assert.equal(found.results.length, 3);
  const zhFound = (await op.request('memory.search', { workspace: 'secret', query: zh })) as SearchResponse;
  assert.equal(zhFound.results.length, 1);
}

describe('encryption at rest through the gateway', () => {
  for (const encrypted of [true, false]) {
    test(
      encrypted
        ? 'with a key, memory, history and the search index are unreadable in the file, the WAL and a backup'
        : 'control: without a key the same content is readable on disk',
      async () => {
        const g = newMemoryGateway(encrypted ? { key: KEY } : {});
        gateways.push(g);
        const marker = `MARKER-${randomBytes(8).toString('hex')}`;
        const zh = `機密${randomBytes(3).toString('hex')}標記`;
        await g.start();
        await writeMarkers(g, marker, zh);
        const visible = (bytes: Buffer) =>
          [marker, zh, 'secret'].map((s) => bytes.includes(Buffer.from(s, 'utf8')));
        const expected = [!encrypted, !encrypted, !encrypted];
        assert.deepEqual(visible(g.storeBytes()), expected, 'while running (WAL)');
        const archive = join(g.home, 'b.tar.gz');
        const b = await g.cli(['backup', 'create', '--out', archive]);
        assert.equal(b.code, 0, b.stderr);
        assert.deepEqual(
          visible(gunzipSync(readFileSync(archive))).slice(0, 2),
          expected.slice(0, 2),
          'archive',
        );
        if (encrypted) assert.equal(gunzipSync(readFileSync(archive)).includes(Buffer.from(KEY)), false);
        await g.stop();
        assert.deepEqual(visible(g.storeBytes()), expected, 'after shutdown (checkpointed)');
      },
    );
  }

  test('a wrong or missing key stops start-up with a clear error, never garbage', async () => {
    const g = newMemoryGateway({ key: KEY });
    gateways.push(g);
    await g.start();
    await writeMarkers(g, `M-${randomBytes(4).toString('hex')}`, '測試資料');
    await g.stop();
    for (const key of ['not-the-key-but-also-32-characters', undefined]) {
      const res = await g.cli(['gateway', 'start', '--headless'], {
        OPENCLAW_WORKSPACE_ENCRYPTION_KEY: key,
        OPENCLAW_GATEWAY_PORT: '0',
      });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /GW_ERR_STORE_KEY_INVALID/);
      assert.match(res.stderr, /OPENCLAW_WORKSPACE_ENCRYPTION_KEY/);
    }
  });

  test('store rekey rotates the key with the gateway stopped, and refuses while it runs', async () => {
    const g = newMemoryGateway({ key: KEY });
    gateways.push(g);
    const marker = `ROT-${randomBytes(6).toString('hex')}`;
    await g.start();
    await writeMarkers(g, marker, '輪替金鑰');
    const oldBackup = join(g.home, 'before.tar.gz');
    assert.equal((await g.cli(['backup', 'create', '--out', oldBackup])).code, 0);
    const busy = await g.cli(['store', 'rekey'], { OPENCLAW_NEW_WORKSPACE_ENCRYPTION_KEY: NEW_KEY });
    assert.equal(busy.code, 2, busy.stderr);
    assert.match(busy.stderr, /in use by another process; stop the gateway/);
    await g.stop();

    const noKey = await g.cli(['store', 'rekey']);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no new key: set OPENCLAW_NEW_WORKSPACE_ENCRYPTION_KEY/);
    const ok = await g.cli(['store', 'rekey'], { OPENCLAW_NEW_WORKSPACE_ENCRYPTION_KEY: NEW_KEY });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /re-encrypted with the new key/);

    const stale = await g.cli(['gateway', 'start', '--headless'], { OPENCLAW_GATEWAY_PORT: '0' });
    assert.equal(stale.code, 2);
    assert.match(stale.stderr, /GW_ERR_STORE_KEY_INVALID/);
    await g.start({ OPENCLAW_WORKSPACE_ENCRYPTION_KEY: NEW_KEY });
    const op = await g.client();
    const found = (await op.request('memory.search', {
      workspace: 'secret',
      query: marker,
    })) as SearchResponse;
    assert.equal(found.results.length, 3);
    await g.stop();

    // A backup keeps the key it was made with.
    const restore = await g.cli(['backup', 'restore', oldBackup], {
      OPENCLAW_WORKSPACE_ENCRYPTION_KEY: NEW_KEY,
    });
    assert.equal(restore.code, 2);
    assert.match(restore.stderr, /OPENCLAW_WORKSPACE_ENCRYPTION_KEY to the key it was made with/);
  });
});
