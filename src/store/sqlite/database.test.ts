/** @module openSqliteDatabase: data dir, pragmas, encryption at rest and the key errors operators see. */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GatewayError } from '../../protocol/index.js';
import { makeTask } from '../conformance/index.js';
import { openSqliteDatabase } from './database.js';
import { rekeySqliteDatabase } from './rekey.js';
import { createSqliteStores } from './sqlite-stores.js';

const KEY = 'your-32-char-encryption-key-here';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-db-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Asserts a clear key error: the catalogue code, the problem, and a message naming the env var. */
function keyInvalid(problem: string) {
  return (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, 'GW_ERR_STORE_KEY_INVALID');
    assert.equal(err.details.problem, problem);
    assert.match(err.message, /OPENCLAW_WORKSPACE_ENCRYPTION_KEY/);
    assert.doesNotMatch(err.message, /^file is not a database$/);
    assert.ok(!err.message.includes(KEY), 'the key never appears in the message');
    return true;
  };
}

async function insertMarker(dataDir: string, marker: string, encryptionKey?: string) {
  const stores = createSqliteStores(openSqliteDatabase({ dataDir, encryptionKey }));
  const t = makeTask({ task: marker });
  await stores.tasks.insert(t);
  return { stores, id: t.id };
}

function filesContain(dataDir: string, marker: string): string[] {
  return ['openclaw.db', 'openclaw.db-wal']
    .map((f) => join(dataDir, f))
    .filter((f) => existsSync(f) && readFileSync(f).includes(marker));
}

describe('openSqliteDatabase', () => {
  test('creates the data dir with mode 0700 and the file with mode 0600', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const db = openSqliteDatabase({ dataDir });
    try {
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(dataDir, 'openclaw.db')).mode & 0o777, 0o600);
      assert.equal(db.file, join(dataDir, 'openclaw.db'));
      assert.equal(db.encrypted, false);
    } finally {
      db.close();
    }
  });

  test('turns on WAL, foreign keys, a busy timeout, and synchronous=NORMAL under the default full mode', async () => {
    // `full` is kept by durable() (WalSync fsyncs the WAL off the event loop), not by SQLite's own
    // per-commit fsync, so the connection itself runs at NORMAL (1).
    const db = openSqliteDatabase({ dataDir: tempDir(), filename: 'x.db' });
    try {
      const c = db.connection;
      assert.equal(c.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(c.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(c.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(c.pragma('synchronous', { simple: true }), 1);
      c.prepare("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 'now')").run();
      await db.durable();
    } finally {
      db.close();
    }
    const normal = openSqliteDatabase({ dataDir: tempDir(), synchronous: 'normal', busyTimeoutMs: 250 });
    try {
      assert.equal(normal.connection.pragma('synchronous', { simple: true }), 1);
      assert.equal(normal.connection.pragma('busy_timeout', { simple: true }), 250);
      await normal.durable();
    } finally {
      normal.close();
    }
    const extra = openSqliteDatabase({ dataDir: tempDir(), synchronous: 'extra' });
    try {
      assert.equal(extra.connection.pragma('synchronous', { simple: true }), 3);
      await extra.durable();
    } finally {
      extra.close();
    }
    const off = openSqliteDatabase({ dataDir: tempDir(), synchronous: 'off' });
    try {
      assert.equal(off.connection.pragma('synchronous', { simple: true }), 0);
    } finally {
      off.close();
    }
  });

  test('durable() fsyncs the WAL under full (a failure is GW_ERR_STORE_UNAVAILABLE) and not under normal', async () => {
    /**
     * Swaps the WAL path for a symlink to /dev/null, on which fdatasync(2) fails with EINVAL, runs
     * durable(), and puts the real WAL back (SQLite keeps writing through its own descriptor meanwhile).
     */
    async function durableWithUnsyncableWal(synchronous: 'full' | 'normal'): Promise<unknown> {
      const db = openSqliteDatabase({ dataDir: tempDir(), synchronous });
      const wal = `${db.file}-wal`;
      try {
        db.connection.prepare("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 'now')").run();
        assert.ok(existsSync(wal));
        renameSync(wal, `${wal}.real`);
        symlinkSync('/dev/null', wal);
        try {
          await db.durable();
          return undefined;
        } catch (err) {
          return err;
        } finally {
          unlinkSync(wal);
          renameSync(`${wal}.real`, wal);
        }
      } finally {
        db.close();
      }
    }
    const full = await durableWithUnsyncableWal('full');
    assert.ok(full instanceof GatewayError, `full: expected a GatewayError, got ${String(full)}`);
    assert.equal(full.code, 'GW_ERR_STORE_UNAVAILABLE');
    assert.match(String(full.details.reason), /fsync .*-wal: EINVAL/);
    // normal promises no fsync and makes none: the same WAL does not fail it.
    assert.equal(await durableWithUnsyncableWal('normal'), undefined);
  });

  test('rejects an unknown synchronous mode as a config error', () => {
    assert.throws(
      () => openSqliteDatabase({ dataDir: tempDir(), synchronous: 'sometimes' as 'full' }),
      (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_CONFIG_INVALID',
    );
  });

  test('reports a data dir it cannot create as GW_ERR_STORE_UNAVAILABLE', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    assert.throws(
      () => openSqliteDatabase({ dataDir: join(file, 'data') }),
      (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_STORE_UNAVAILABLE',
    );
  });
});

describe('encryption at rest', () => {
  test('leaves no plaintext marker in the database or its WAL, and reads back with the key', async () => {
    const dataDir = tempDir();
    const marker = `PLAINTEXT-MARKER-${process.pid}-${Date.now()}`;
    const { stores, id } = await insertMarker(dataDir, marker, KEY);
    assert.ok(existsSync(join(dataDir, 'openclaw.db-wal')), 'the WAL is checked too');
    assert.deepEqual(filesContain(dataDir, marker), []);
    await stores.close();
    assert.deepEqual(filesContain(dataDir, marker), []);
    const again = createSqliteStores(openSqliteDatabase({ dataDir, encryptionKey: KEY }));
    try {
      assert.equal((await again.tasks.get(id))?.task, marker);
      assert.equal(again.database.encrypted, true);
    } finally {
      await again.close();
    }
  });

  test('the same marker is visible in a plaintext store (the check above can fail)', async () => {
    const dataDir = tempDir();
    const { stores } = await insertMarker(dataDir, 'VISIBLE-MARKER');
    await stores.close();
    assert.notDeepEqual(filesContain(dataDir, 'VISIBLE-MARKER'), []);
  });

  test('refuses a wrong key with a clear error, never garbage', async () => {
    const dataDir = tempDir();
    (await insertMarker(dataDir, 'm', KEY)).stores.database.close();
    assert.throws(
      () => openSqliteDatabase({ dataDir, encryptionKey: 'not-the-key' }),
      keyInvalid('wrong_key'),
    );
  });

  test('refuses an encrypted store opened without a key', async () => {
    const dataDir = tempDir();
    (await insertMarker(dataDir, 'm', KEY)).stores.database.close();
    assert.throws(() => openSqliteDatabase({ dataDir }), keyInvalid('key_missing'));
  });

  test('refuses a key given for a plaintext store', async () => {
    const dataDir = tempDir();
    (await insertMarker(dataDir, 'm')).stores.database.close();
    assert.throws(() => openSqliteDatabase({ dataDir, encryptionKey: KEY }), keyInvalid('not_encrypted'));
    // The refusal did not touch the file: it still opens without a key.
    openSqliteDatabase({ dataDir }).close();
  });

  test('refuses an empty key and a file that is not SQLite at all', () => {
    assert.throws(
      () => openSqliteDatabase({ dataDir: tempDir(), encryptionKey: '' }),
      keyInvalid('empty_key'),
    );
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'openclaw.db'), Buffer.alloc(4096, 7));
    assert.throws(() => openSqliteDatabase({ dataDir }), keyInvalid('key_missing'));
  });
});

describe('rekeySqliteDatabase', () => {
  test('encrypts a plaintext store, rotates its key, and decrypts it again', async () => {
    const dataDir = tempDir();
    const marker = 'REKEY-MARKER';
    const { stores, id } = await insertMarker(dataDir, marker);
    await stores.close();

    rekeySqliteDatabase({ dataDir, newKey: KEY });
    assert.deepEqual(filesContain(dataDir, marker), []);
    assert.throws(() => openSqliteDatabase({ dataDir }), keyInvalid('key_missing'));

    rekeySqliteDatabase({ dataDir, currentKey: KEY, newKey: 'a-brand-new-passphrase-for-2025' });
    assert.throws(() => openSqliteDatabase({ dataDir, encryptionKey: KEY }), keyInvalid('wrong_key'));
    const rotated = createSqliteStores(
      openSqliteDatabase({ dataDir, encryptionKey: 'a-brand-new-passphrase-for-2025' }),
    );
    assert.equal((await rotated.tasks.get(id))?.task, marker);
    await rotated.close();

    rekeySqliteDatabase({ dataDir, currentKey: 'a-brand-new-passphrase-for-2025' });
    const plain = createSqliteStores(openSqliteDatabase({ dataDir }));
    assert.equal((await plain.tasks.get(id))?.task, marker);
    assert.equal(plain.database.connection.pragma('journal_mode', { simple: true }), 'wal');
    await plain.close();
  });

  test('refuses to rekey while another connection has the store open', () => {
    const dataDir = tempDir();
    const live = openSqliteDatabase({ dataDir });
    try {
      assert.throws(
        () => rekeySqliteDatabase({ dataDir, newKey: KEY }),
        (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_STORE_UNAVAILABLE',
      );
      assert.equal(live.connection.prepare('SELECT count(*) AS n FROM tasks').get() !== undefined, true);
    } finally {
      live.close();
    }
    openSqliteDatabase({ dataDir }).close();
  });

  test('checks the current key before touching the file', () => {
    const dataDir = tempDir();
    openSqliteDatabase({ dataDir, encryptionKey: KEY }).close();
    assert.throws(
      () => rekeySqliteDatabase({ dataDir, currentKey: 'wrong', newKey: 'x'.repeat(32) }),
      keyInvalid('wrong_key'),
    );
    openSqliteDatabase({ dataDir, encryptionKey: KEY }).close();
  });
});
