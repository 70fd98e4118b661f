/**
 * @module SQLite WorkspaceStore: the conformance suite (plaintext and encrypted), persistence, and
 * encryption at rest: no appended marker in the database file or its WAL with a key, while the
 * control without a key shows it; a wrong or missing key is a clear error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GatewayError } from '../protocol/index.js';
import { createSqliteStores, openSqliteDatabase } from '../store/index.js';
import { runWorkspaceStoreConformance } from './test-support/workspace-store.conformance.js';

const KEY = 'a-32-character-workspace-key-0001';
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-mem-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const open = (dataDir: string, encryptionKey?: string) =>
  createSqliteStores(
    openSqliteDatabase({ dataDir, synchronous: 'normal', ...(encryptionKey ? { encryptionKey } : {}) }),
  );

function fresh(key?: string) {
  return async () => {
    const dir = tempDir();
    const stores = open(dir, key);
    return { store: stores.workspaces, cleanup: () => stores.close() };
  };
}

runWorkspaceStoreConformance('sqlite', fresh());
runWorkspaceStoreConformance('sqlite, encrypted', fresh(KEY));

/** Every byte of the database file and of its WAL and shared-memory files, as they are right now. */
function onDisk(dir: string): Buffer {
  const file = join(dir, 'openclaw.db');
  return Buffer.concat(
    [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
  );
}

describe('SQLite workspace memory on disk', () => {
  test('keeps entries, the search index and vectors across close and reopen', async () => {
    const dir = tempDir();
    const s1 = open(dir, KEY);
    const { entry } = await s1.workspaces.append({
      workspace: 'w',
      kind: 'fact',
      content: '每日報告 goes out at 09:00',
    });
    await s1.workspaces.setVector(entry.seq, 'm', Float32Array.from([0.5, 0.5]));
    await s1.close();
    const s2 = open(dir, KEY);
    try {
      assert.deepEqual(await s2.workspaces.entries('w'), [entry]);
      assert.equal((await s2.workspaces.search('w', '每日報告')).hits[0]?.entry.id, entry.id);
      assert.equal((await s2.workspaces.nearest('w', 'm', Float32Array.from([1, 1])))[0]?.entry.id, entry.id);
    } finally {
      await s2.close();
    }
  });

  for (const encrypted of [true, false]) {
    test(
      encrypted
        ? 'with a key, history, memory and the FTS index hold no plaintext in the file or the WAL'
        : 'control: without a key the same marker is visible on disk',
      async () => {
        const dir = tempDir();
        const marker = `PLAINTEXT-MARKER-${randomBytes(6).toString('hex')}`;
        const zh = `機密標記${randomBytes(3).toString('hex')}`;
        const s = open(dir, encrypted ? KEY : undefined);
        try {
          await s.workspaces.append({
            workspace: 'secret-ws',
            kind: 'note',
            content: `note ${marker} ${zh}`,
          });
          await s.workspaces.append({
            workspace: 'secret-ws',
            kind: 'message',
            role: 'user',
            content: `${marker} in history`,
          });
          await s.workspaces.append({
            workspace: 'secret-ws',
            kind: 'tool_call',
            content: `shell(echo ${marker})`,
            tool: {
              name: 'shell',
              args: { command: `echo ${marker}` },
              result: marker,
              error: null,
              duration_ms: 1,
            },
          });
          // Before a checkpoint the rows are only in the WAL; afterwards in the main file.
          assert.ok(existsSync(join(dir, 'openclaw.db-wal')));
          const live = onDisk(dir);
          (s.database.connection as { pragma(p: string): unknown }).pragma('wal_checkpoint(TRUNCATE)');
          const checkpointed = onDisk(dir);
          for (const bytes of [live, checkpointed]) {
            for (const needle of [marker, zh, 'secret-ws']) {
              assert.equal(bytes.includes(Buffer.from(needle, 'utf8')), !encrypted, `${needle} on disk`);
            }
          }
          assert.equal((await s.workspaces.search('secret-ws', marker)).hits.length, 3);
        } finally {
          await s.close();
        }
      },
    );
  }

  test('a wrong or missing key fails with GW_ERR_STORE_KEY_INVALID naming the variable, never garbage', async () => {
    const dir = tempDir();
    const s = open(dir, KEY);
    await s.workspaces.append({ workspace: 'w', kind: 'note', content: 'hello' });
    await s.close();
    for (const key of ['a-different-key-of-32-characters!', undefined]) {
      assert.throws(
        () => open(dir, key),
        (err: unknown) =>
          err instanceof GatewayError &&
          err.code === 'GW_ERR_STORE_KEY_INVALID' &&
          /OPENCLAW_WORKSPACE_ENCRYPTION_KEY/.test(err.message),
      );
    }
    const again = open(dir, KEY);
    assert.equal((await again.workspaces.entries('w'))[0]?.content, 'hello');
    await again.close();
  });
});
