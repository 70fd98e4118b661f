/**
 * @module Unit tests: backup archives and restores over real store files: identical rows after a round
 * trip, no plaintext in an encrypted archive, refusal of damaged, foreign and wrong-key archives and of
 * a store in use, and what happens to the replaced files and to config.yaml.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GatewayError } from '../../protocol/index.js';
import { createSqliteStores, openSqliteDatabase, type SqliteStores } from '../../store/index.js';
import { dumpTables } from '../test-support/dump-tables.js';
import { createBackup } from './create-backup.js';
import { restoreBackup } from './restore-backup.js';

const KEY = 'backup-test-key-with-32-characters!';
const root = mkdtempSync(join(tmpdir(), 'openclaw-backup-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => {
  const d = join(root, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const code = (c: string, re?: RegExp) => (err: unknown) =>
  err instanceof GatewayError && err.code === c && (!re || re.test(err.message));

const open = (dataDir: string, key?: string): SqliteStores =>
  createSqliteStores(
    openSqliteDatabase({ dataDir, synchronous: 'normal', ...(key ? { encryptionKey: key } : {}) }),
  );

async function populate(dataDir: string, key: string | undefined, marker: string): Promise<void> {
  const s = open(dataDir, key);
  try {
    for (let i = 0; i < 20; i++)
      await s.workspaces.append({
        workspace: `ws-${i % 3}`,
        kind: 'message',
        role: 'user',
        content: `${marker} message ${i} 每日報告`,
      });
    await s.meta.set('gateway_id', 'gw-test');
  } finally {
    await s.close();
  }
  writeFileSync(join(dataDir, 'auth.secret'), 'secret-for-tokens\n', { mode: 0o600 });
  mkdirSync(join(dataDir, 'workspaces', 'ws-0', 'out'), { recursive: true });
  writeFileSync(join(dataDir, 'workspaces', 'ws-0', 'out', 'report.txt'), 'the report');
}

describe('backup create and restore', () => {
  test('a plaintext round trip restores identical rows, the secret, the workspace files and the config', async () => {
    const src = dir('src');
    await populate(src, undefined, 'M');
    const cfgFile = join(src, 'config.yaml');
    writeFileSync(cfgFile, 'gateway:\n  port: 18789\n');
    const out = join(dir('out'), 'b.tar.gz');
    const b = await createBackup({ dataDir: src, configPath: cfgFile, out, version: 'test' });
    assert.equal(b.manifest.store.counts.memory_entries, 20);
    assert.equal(b.manifest.store.integrity, 'ok');
    assert.deepEqual(
      b.manifest.files.map((f) => f.kind),
      ['database', 'auth_secret', 'config', 'workspace_file'],
    );
    assert.deepEqual(readdirSync(join(out, '..')), ['b.tar.gz'], 'no staging or partial file left');
    const listed = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(listed, [
      'data/openclaw.db',
      'data/auth.secret',
      'config/config.yaml',
      'workspaces/ws-0/out/report.txt',
      'manifest.json',
    ]);

    const dest = dir('dest');
    const target = join(dest, 'home', 'config.yaml');
    const r = await restoreBackup({ archive: out, dataDir: dest, configPath: target });
    assert.equal(r.previous, null);
    assert.equal(r.config, 'written');
    assert.deepEqual(dumpTables(join(dest, 'openclaw.db')), dumpTables(join(src, 'openclaw.db')));
    assert.equal(readFileSync(join(dest, 'auth.secret'), 'utf8'), 'secret-for-tokens\n');
    assert.equal(readFileSync(join(dest, 'workspaces', 'ws-0', 'out', 'report.txt'), 'utf8'), 'the report');
    assert.equal(readFileSync(target, 'utf8'), 'gateway:\n  port: 18789\n');
    const s = open(dest);
    assert.equal((await s.workspaces.search('ws-1', '每日報告')).hits.length, 7);
    await s.close();
  });

  test('restoring over existing data keeps the replaced files aside and an existing config untouched', async () => {
    const a = dir('a');
    await populate(a, undefined, 'A');
    const cfgA = join(a, 'config.yaml');
    writeFileSync(cfgA, 'logging:\n  level: debug\n');
    const out = join(dir('out'), 'a.tar.gz');
    await createBackup({ dataDir: a, configPath: cfgA, out, version: 'test' });
    const b = dir('b');
    await populate(b, undefined, 'B');
    const cfgB = join(b, 'config.yaml');
    writeFileSync(cfgB, 'logging:\n  level: warn\n');
    const before = dumpTables(join(b, 'openclaw.db'));
    const r = await restoreBackup({ archive: out, dataDir: b, configPath: cfgB });
    assert.ok(r.previous && existsSync(join(r.previous, 'openclaw.db')));
    assert.deepEqual(dumpTables(join(r.previous, 'openclaw.db')), before);
    assert.deepEqual(dumpTables(join(b, 'openclaw.db')), dumpTables(join(a, 'openclaw.db')));
    assert.equal(r.config, 'kept');
    assert.equal(readFileSync(cfgB, 'utf8'), 'logging:\n  level: warn\n');
    assert.equal(readFileSync(r.configCopy!, 'utf8'), 'logging:\n  level: debug\n');
  });

  test('an encrypted archive holds no plaintext and restores only with the same key', async () => {
    const src = dir('enc');
    const marker = `SECRET-${randomBytes(6).toString('hex')}`;
    await populate(src, KEY, marker);
    const cfg = join(src, 'config.yaml');
    writeFileSync(cfg, `store:\n  encryption_key: ${KEY}\n`);
    const out = join(dir('out'), 'e.tar.gz');
    const b = await createBackup({ dataDir: src, encryptionKey: KEY, configPath: cfg, out, version: 'test' });
    assert.equal(b.manifest.store.encrypted, true);
    assert.deepEqual(
      b.manifest.skipped.map((s) => s.path),
      ['config/config.yaml'],
    );
    const raw = gunzipSync(readFileSync(out));
    assert.equal(raw.includes(Buffer.from(marker)), false);
    assert.equal(raw.includes(Buffer.from(KEY)), false);
    assert.equal(raw.includes(Buffer.from('每日報告')), false);

    await assert.rejects(
      restoreBackup({ archive: out, dataDir: dir('x'), encryptionKey: 'another-key-with-32-characters!!' }),
      code('GW_ERR_STORE_KEY_INVALID', /OPENCLAW_WORKSPACE_ENCRYPTION_KEY/),
    );
    await assert.rejects(
      restoreBackup({ archive: out, dataDir: dir('x') }),
      code('GW_ERR_STORE_KEY_INVALID', /is encrypted/),
    );
    const dest = dir('dest');
    await restoreBackup({ archive: out, dataDir: dest, encryptionKey: KEY });
    assert.deepEqual(dumpTables(join(dest, 'openclaw.db'), KEY), dumpTables(join(src, 'openclaw.db'), KEY));
  });

  test('refuses damaged, truncated and foreign archives before touching the data dir', async () => {
    const src = dir('src');
    await populate(src, undefined, 'D');
    const out = join(dir('out'), 'd.tar.gz');
    await createBackup({ dataDir: src, out, version: 'test' });
    const tarBytes = gunzipSync(readFileSync(out));

    const flipped = Buffer.from(tarBytes);
    flipped[512 + 100] = flipped[512 + 100]! ^ 0x01; // inside the database file's data
    const damaged = join(dir('out'), 'damaged.tar.gz');
    writeFileSync(damaged, gzipSync(flipped));
    const truncated = join(dir('out'), 'truncated.tar.gz');
    writeFileSync(truncated, gzipSync(tarBytes.subarray(0, tarBytes.length - 4096)));
    const foreignSrc = dir('foreign');
    writeFileSync(join(foreignSrc, 'hello.txt'), 'hi');
    const foreign = join(dir('out'), 'foreign.tar.gz');
    execFileSync('tar', ['czf', foreign, '-C', foreignSrc, 'hello.txt']);
    const notGzip = join(dir('out'), 'plain.txt');
    writeFileSync(notGzip, 'not an archive');

    const dest = dir('dest');
    await populate(dest, undefined, 'KEEP');
    const before = dumpTables(join(dest, 'openclaw.db'));
    await assert.rejects(
      restoreBackup({ archive: damaged, dataDir: dest }),
      code('GW_ERR_STORE_UNAVAILABLE', /checksum/),
    );
    await assert.rejects(
      restoreBackup({ archive: truncated, dataDir: dest }),
      code('GW_ERR_STORE_UNAVAILABLE', /truncated|cut short/),
    );
    await assert.rejects(
      restoreBackup({ archive: foreign, dataDir: dest }),
      code('GW_ERR_STORE_UNAVAILABLE', /not an openclaw backup/),
    );
    await assert.rejects(
      restoreBackup({ archive: notGzip, dataDir: dest }),
      code('GW_ERR_STORE_UNAVAILABLE', /not a readable backup/),
    );
    await assert.rejects(
      restoreBackup({ archive: join(dest, 'nope.tar.gz'), dataDir: dest }),
      code('GW_ERR_STORE_UNAVAILABLE', /does not exist/),
    );
    assert.deepEqual(dumpTables(join(dest, 'openclaw.db')), before);
    // No staging dir left behind (the -wal/-shm files come from dumpTables' read-only connection).
    assert.deepEqual(
      readdirSync(dest)
        .filter((f) => !/-(wal|shm)$/.test(f))
        .sort(),
      ['auth.secret', 'openclaw.db', 'workspaces'],
    );
  });

  test('refuses a store another connection has open unless forced', async () => {
    const src = dir('src');
    await populate(src, undefined, 'U');
    const out = join(dir('out'), 'u.tar.gz');
    await createBackup({ dataDir: src, out, version: 'test' });
    const dest = dir('dest');
    const live = open(dest);
    try {
      await assert.rejects(
        restoreBackup({ archive: out, dataDir: dest }),
        code('GW_ERR_STORE_UNAVAILABLE', /a gateway is using .*--force/s),
      );
      const r = await restoreBackup({ archive: out, dataDir: dest, force: true });
      assert.ok(r.previous);
    } finally {
      await live.close();
    }
    assert.deepEqual(dumpTables(join(dest, 'openclaw.db')), dumpTables(join(src, 'openclaw.db')));
  });

  test('says clearly when there is no store to back up', async () => {
    await assert.rejects(
      createBackup({ dataDir: dir('empty'), out: join(dir('out'), 'x.tar.gz'), version: 'test' }),
      code('GW_ERR_STORE_UNAVAILABLE', /no store at .*nothing to back up/),
    );
  });
});
