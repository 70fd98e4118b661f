/** @module Unit tests of `openclaw logs`: last lines, pretty output, following appends and rotation. */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../observability/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { logFilePath, showLogs } from './logs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-logs-'));
  dirs.push(d);
  return d;
}
const rec = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    timestamp: '2026-02-22T10:30:00.000Z',
    level: 'info',
    component: 'gateway',
    event: 'e',
    i,
    ...extra,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs showLogs with --follow in the background, collecting what it prints. */
function follower(file: string, lines = 0) {
  const out: string[] = [];
  const ac = new AbortController();
  const done = showLogs({
    file,
    lines,
    follow: true,
    pollMs: 5,
    signal: ac.signal,
    write: (t) => out.push(t),
  });
  const seen = () =>
    out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { i: number }).i);
  return {
    seen,
    async waitFor(n: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (seen().length < n && Date.now() < deadline) await sleep(5);
      return seen();
    },
    async stop() {
      ac.abort();
      await done;
      return seen();
    },
  };
}

describe('openclaw logs: reading', () => {
  test('prints the last N complete lines, reading back over several chunks of a large file', async () => {
    const file = join(tempDir(), 'gateway.log');
    const pad = 'p'.repeat(300);
    writeFileSync(file, Array.from({ length: 2000 }, (_, i) => rec(i, { pad })).join('\n') + '\n');
    const out: string[] = [];
    await showLogs({ file, lines: 3, write: (t) => out.push(t) });
    assert.deepEqual(
      out.map((l) => (JSON.parse(l) as { i: number }).i),
      [1997, 1998, 1999],
    );
    out.length = 0;
    await showLogs({ file, lines: 500, write: (t) => out.push(t) });
    assert.equal(out.length, 500);
    assert.equal((JSON.parse(out[0]!) as { i: number }).i, 1500);
  });

  test('fewer lines than asked prints them all; --lines 0 prints none; a partial last line waits', async () => {
    const file = join(tempDir(), 'gateway.log');
    writeFileSync(file, `${rec(0)}\n${rec(1)}\n{"half":`);
    const out: string[] = [];
    await showLogs({ file, lines: 50, write: (t) => out.push(t) });
    assert.deepEqual(out, [`${rec(0)}\n`, `${rec(1)}\n`]);
    out.length = 0;
    await showLogs({ file, lines: 0, write: (t) => out.push(t) });
    assert.deepEqual(out, []);
  });

  test('--pretty prints one readable line per record and passes other lines through', async () => {
    const file = join(tempDir(), 'gateway.log');
    writeFileSync(
      file,
      `${rec(7, { task_id: 'task-1', msg: 'task completed', event: 'task_completed' })}\nnot json\n`,
    );
    const out: string[] = [];
    await showLogs({ file, lines: 10, pretty: true, write: (t) => out.push(t) });
    assert.equal(
      out[0],
      '2026-02-22T10:30:00.000Z INFO  [gateway] task_completed: task completed i=7 task_id=task-1\n',
    );
    assert.equal(out[1], 'not json');
  });

  test('a missing file is a usage error (exit 2) that names the path', async () => {
    const file = join(tempDir(), 'nope.log');
    await assert.rejects(showLogs({ file, write: () => undefined }), (err: unknown) => {
      assert.ok(err instanceof CliExit);
      assert.equal(err.code, EXIT.USAGE);
      assert.match(err.message, /no log file at .*nope\.log/);
      return true;
    });
  });

  test('the path comes from the logging.output file entry, else $OPENCLAW_LOG_DIR/gateway.log', () => {
    const home = tempDir();
    const withDir = loadConfig({ env: { OPENCLAW_LOG_DIR: join(home, 'l') }, home });
    assert.deepEqual(logFilePath(withDir), { path: join(home, 'l', 'gateway.log'), configured: true });
    const cfgFile = join(home, 'c.yaml');
    writeFileSync(
      cfgFile,
      `logging:\n  output:\n    - type: stdout\n    - type: file\n      path: ${join(home, 'x', 'gw.log')}\n`,
    );
    assert.equal(
      logFilePath(loadConfig({ env: {}, home, configPath: cfgFile })).path,
      join(home, 'x', 'gw.log'),
    );
    writeFileSync(cfgFile, 'logging:\n  output:\n    - type: stdout\n');
    const stdoutOnly = logFilePath(loadConfig({ env: {}, home, configPath: cfgFile }));
    assert.equal(stdoutOnly.configured, false);
    assert.equal(stdoutOnly.path, join(home, '.openclaw', 'logs', 'gateway.log'));
  });
});

describe('openclaw logs --follow', () => {
  test('prints appended lines, joining a line written in two parts', async () => {
    const file = join(tempDir(), 'gateway.log');
    writeFileSync(file, `${rec(0)}\n`);
    const f = follower(file, 10);
    assert.deepEqual(await f.waitFor(1), [0]);
    appendFileSync(file, `${rec(1)}\n${rec(2).slice(0, 10)}`);
    assert.deepEqual(await f.waitFor(2), [0, 1]);
    await sleep(30);
    appendFileSync(file, `${rec(2).slice(10)}\n`);
    assert.deepEqual(await f.waitFor(3), [0, 1, 2]);
    assert.deepEqual(await f.stop(), [0, 1, 2]);
  });

  test('follows a rotation that renames the file away, losing nothing written before it', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.log');
    writeFileSync(file, `${rec(0)}\n`);
    const f = follower(file, 10);
    await f.waitFor(1);
    // The last lines reach the old file just before the rename, as a logger mid-rotation would.
    appendFileSync(file, `${rec(1)}\n${rec(2)}\n`);
    renameSync(file, join(dir, 'gateway.log.1'));
    writeFileSync(file, `${rec(3)}\n`);
    assert.deepEqual(await f.waitFor(4), [0, 1, 2, 3]);
    appendFileSync(file, `${rec(4)}\n`);
    assert.deepEqual(await f.waitFor(5), [0, 1, 2, 3, 4]);
    assert.deepEqual(await f.stop(), [0, 1, 2, 3, 4]);
  });

  test('a file truncated in place is read again from its start', async () => {
    const file = join(tempDir(), 'gateway.log');
    writeFileSync(file, `${rec(0)}\n${rec(1)}\n`);
    const f = follower(file, 10);
    await f.waitFor(2);
    truncateSync(file, 0);
    await sleep(30);
    appendFileSync(file, `${rec(2)}\n`);
    assert.deepEqual(await f.waitFor(3), [0, 1, 2]);
    await f.stop();
  });

  test("sees every line of the gateway's own logger across several size rotations with gzip", async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.log');
    const logger = createLogger({
      outputs: [{ type: 'file', path: file, max_size_mb: 0.01, max_backups: 100, compress: true }],
    });
    logger.info({ i: 0 }, 'first');
    await sleep(50);
    const f = follower(file, 10);
    await f.waitFor(1);
    const total = 600;
    for (let i = 1; i < total; i++) {
      logger.info({ i, pad: 'z'.repeat(150) }, 'filler');
      // About 40 records fill a 10 KiB file; pausing each 20 lets every rotation be noticed.
      if (i % 20 === 0) await sleep(40);
    }
    await logger.close();
    const seen = await f.waitFor(total, 10_000);
    await f.stop();
    assert.equal(seen.length, total, `saw ${seen.length} of ${total}`);
    assert.deepEqual(
      seen,
      Array.from({ length: total }, (_, i) => i),
      'in order, each once',
    );
    const rotated = readdirSync(dir).filter((n) => n.startsWith('gateway.log.') && n.endsWith('.gz'));
    assert.ok(rotated.length >= 3, `the file rotated several times: ${rotated.join(', ')}`);
  });
});
