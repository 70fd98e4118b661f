/** @module Tests of the structured logger: field names, outputs, rotation, redaction and failure paths. */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { GatewayError } from '../protocol/index.js';
import { createLogger, createMemoryLogger } from './logger.js';
import { MAX_CHUNK_CHARS } from './turn-batch.js';
import { REDACTED, clearRegisteredSecrets, registerSecret } from './redact.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'openclaw-log-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => clearRegisteredSecrets());

function readJsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs `code` (an ES module importing `./logger`) in a fresh node process, the way the gateway runs. */
function runChild(code: string): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const self = fileURLToPath(import.meta.url);
  const loggerUrl = pathToFileURL(join(self, '..', `logger${extname(self)}`)).href;
  // Keep only loader flags (tsx when the tests run from source), not the test runner's own flags.
  const loaderArgs: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (['--require', '--import', '--loader', '--experimental-loader', '-r'].includes(a)) {
      loaderArgs.push(a, argv[++i] ?? '');
    } else if (/^--(require|import|loader|experimental-loader)=/.test(a)) loaderArgs.push(a);
  }
  const script = `import { createLogger } from ${JSON.stringify(loggerUrl)};\n${code}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loaderArgs, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out; stderr: ${stderr}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}

describe('record fields', () => {
  test('uses the seed 10.3 field names, an ISO timestamp and the level label', () => {
    const { logger, records } = createMemoryLogger();
    logger.info(
      {
        event: 'task_completed',
        task_id: 'task-abc123',
        workspace: 'prod-workspace',
        duration_ms: 45230,
        llm_tokens: 1823,
        node_id: 'node-server-01',
      },
      'task finished',
    );
    const rec = records[0];
    assert.ok(rec);
    assert.deepEqual(
      { ...rec, timestamp: undefined },
      {
        level: 'info',
        timestamp: undefined,
        component: 'gateway',
        event: 'task_completed',
        task_id: 'task-abc123',
        workspace: 'prod-workspace',
        duration_ms: 45230,
        llm_tokens: 1823,
        node_id: 'node-server-01',
        msg: 'task finished',
      },
    );
    assert.match(String(rec.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(String(rec.timestamp)) - Date.now()) < 5000);
    assert.equal('time' in rec || 'pid' in rec || 'hostname' in rec, false);
  });

  test('child loggers carry their component exactly once per line', () => {
    const lines: string[] = [];
    const logger = createLogger({
      outputs: [{ type: 'stream', stream: { write: (l: string) => lines.push(l) } }],
    });
    const sched = logger.child({ component: 'scheduler' });
    sched.child({ lease: 'l1' }).warn({ event: 'lease_expired' }, 'lease expired');
    logger.info('root');
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.match(/"component"/g)?.length, 1);
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(first.component, 'scheduler');
    assert.equal(first.lease, 'l1');
    assert.equal(first.level, 'warn');
    assert.equal((JSON.parse(lines[1] ?? '') as Record<string, unknown>).component, 'gateway');
  });

  test('drops records below the level and follows run-time level changes', () => {
    const { logger, records } = createMemoryLogger({ level: 'warn' });
    logger.info('hidden');
    logger.error('shown');
    logger.level = 'debug';
    logger.debug('now shown');
    assert.deepEqual(
      records.map((r) => [r.level, r.msg]),
      [
        ['error', 'shown'],
        ['debug', 'now shown'],
      ],
    );
  });

  test('an Error keeps its type, message, stack and code under err', () => {
    const { logger, records } = createMemoryLogger();
    logger.error(new GatewayError('GW_ERR_TASK_NOT_FOUND', { id: 't9' }));
    const rec = records[0] ?? {};
    const err = rec.err as Record<string, unknown>;
    assert.equal(rec.msg, 'task t9 not found');
    assert.equal(err.type, 'GatewayError');
    assert.equal(err.code, 'GW_ERR_TASK_NOT_FOUND');
    assert.match(String(err.stack), /GatewayError: task t9 not found/);
  });
});

describe('redaction in log lines', () => {
  test('a token and an API key in the message, a nested field and an Error never reach the file', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.log');
    const apiKey = 'sk-proj-0123456789abcdefABCDEF';
    const token = 'oc1.b3BlcmF0b3I.c2lnbmF0dXJlLXZhbHVl';
    const serverSecret = 'the-auth-secret-from-env';
    registerSecret(serverSecret);
    const logger = createLogger({ outputs: [{ type: 'file', path: file }], secrets: ['per-logger-secret'] });
    logger.info(`calling openai with ${apiKey} for token ${token}`);
    logger.info('interpolated %s and %j', token, { nested: apiKey });
    logger.info({
      event: 'cfg',
      config: { llm: { providers: { openai: { api_key: apiKey } } } },
      note: serverSecret,
    });
    logger.child({ component: 'auth', authorization: `Bearer ${token}` }).info('child bindings');
    const err = new Error(`provider rejected ${apiKey} (per-logger-secret)`);
    logger.error(err);
    logger.error({ err, event: 'llm_failed' }, 'llm call failed');
    logger.warn({ [serverSecret]: 'secret used as a key' }, 'odd');
    await logger.close();

    const text = readFileSync(file, 'utf8');
    for (const s of [apiKey, token, serverSecret, 'per-logger-secret', 'sk-proj', 'oc1.b3']) {
      assert.equal(text.includes(s), false, `${s} leaked:\n${text}`);
    }
    const recs = readJsonLines(file);
    assert.equal(recs.length, 7);
    assert.equal(recs[0]?.msg, `calling openai with ${REDACTED} for token ${REDACTED}`);
    assert.equal(recs[1]?.msg, `interpolated ${REDACTED} and {"nested":"${REDACTED}"}`);
    const cfg = recs[2]?.config as { llm: { providers: { openai: { api_key: string } } } };
    assert.equal(cfg.llm.providers.openai.api_key, REDACTED);
    assert.equal(recs[2]?.note, REDACTED);
    assert.equal(recs[3]?.authorization, REDACTED);
    assert.equal(recs[3]?.component, 'auth');
    const e4 = recs[4]?.err as Record<string, string>;
    assert.equal(recs[4]?.msg, `provider rejected ${REDACTED} (${REDACTED})`);
    assert.match(e4.stack ?? '', /^Error: provider rejected \[REDACTED\] \(\[REDACTED\]\)\n/);
    assert.equal(
      (recs[5]?.err as Record<string, string>).message,
      `provider rejected ${REDACTED} (${REDACTED})`,
    );
    assert.equal(recs[5]?.msg, 'llm call failed');
    assert.equal(recs[6]?.[REDACTED], 'secret used as a key');
  });
});

describe('outputs', () => {
  test('writes the same records to several files and a stream at once, honouring per-output level and format', async () => {
    const dir = tempDir();
    const all = join(dir, 'a', 'gateway.log');
    const errors = join(dir, 'b', 'nested', 'errors.log');
    const pretty: string[] = [];
    const logger = createLogger({
      level: 'debug',
      outputs: [
        { type: 'file', path: all },
        { type: 'file', path: errors, level: 'error' },
        { type: 'stream', format: 'pretty', stream: { write: (l: string) => pretty.push(l) } },
      ],
    });
    logger.debug({ event: 'tick' }, 'debug line');
    logger.error({ event: 'task_failed', task_id: 'task-1' }, 'it broke');
    await logger.close();
    assert.deepEqual(
      readJsonLines(all).map((r) => r.event),
      ['tick', 'task_failed'],
    );
    assert.deepEqual(
      readJsonLines(errors).map((r) => r.event),
      ['task_failed'],
    );
    assert.equal(pretty.length, 2);
    assert.match(pretty[1] ?? '', /^\S+Z ERROR \[gateway\] task_failed: it broke task_id=task-1\n$/);
  });

  test('stdout, a file and pretty stderr together in a real process', async () => {
    const dir = tempDir();
    const file = join(dir, 'logs', 'gateway.log');
    const res = await runChild(`
      const log = createLogger({ outputs: [
        { type: 'stdout' },
        { type: 'file', path: ${JSON.stringify(file)} },
        { type: 'stderr', format: 'pretty' },
      ] });
      log.child({ component: 'cron' }).info({ event: 'cron_fired', workspace: 'w1' }, 'fired');
      await log.close();
    `);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim()) as Record<string, unknown>;
    assert.equal(out.component, 'cron');
    assert.equal(out.event, 'cron_fired');
    assert.deepEqual(readJsonLines(file), [out]);
    assert.match(res.stderr, /^\S+Z INFO {2}\[cron\] cron_fired: fired workspace=w1\n$/);
  });

  test('lines logged right before process.exit are on stdout', async () => {
    const res = await runChild(`
      const log = createLogger({ outputs: [{ type: 'stdout' }] });
      for (let i = 0; i < 200; i++) log.info({ i }, 'line');
      process.exit(3);
    `);
    assert.equal(res.status, 3);
    assert.equal(res.stdout.trim().split('\n').length, 200);
  });

  test('lines logged by an exit listener added after the first line are on stdout too, in order', async () => {
    const res = await runChild(`
      const log = createLogger({ outputs: [{ type: 'stdout' }] });
      log.info({ i: 0 }, 'before');
      process.on('exit', () => log.info({ i: 2 }, 'from an exit listener'));
      log.info({ i: 1 }, 'last of the turn');
      process.exit(0);
    `);
    assert.equal(res.status, 0, res.stderr);
    const order = res.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    assert.deepEqual(order, [0, 1, 2]);
  });

  test('close() waits for the file and is idempotent; later records are dropped, not thrown', async () => {
    const file = join(tempDir(), 'x.log');
    const logger = createLogger({ outputs: [{ type: 'file', path: file }] });
    for (let i = 0; i < 1000; i++) logger.info({ i }, 'filler');
    await Promise.all([logger.close(), logger.close()]);
    await logger.close();
    logger.info('after close');
    assert.equal(readJsonLines(file).length, 1000);
  });
});

describe('file rotation', () => {
  test('rotates by size, keeps at most max_backups gzip files that decompress to valid records', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.log');
    const logger = createLogger({
      outputs: [{ type: 'file', path: file, max_size_mb: 1, max_backups: 2, compress: true }],
    });
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 4200; i++) logger.info({ i, filler }, 'rotation filler'); // ~4.4 MB
    await logger.close();

    const rotated = readdirSync(dir).filter((f) => f.startsWith('gateway.log.') && f.endsWith('.gz'));
    assert.ok(rotated.length >= 1 && rotated.length <= 2, `rotated: ${rotated.join(', ')}`);
    // Lines are written in batches of up to MAX_CHUNK_CHARS (plus the line that filled it), and the
    // size is checked after each batch.
    assert.ok(
      statSync(file).size <= 1024 * 1024 + MAX_CHUNK_CHARS + 2048,
      'active file stays within one write batch of the limit',
    );
    const seen: number[] = [];
    for (const name of rotated) {
      const raw = readFileSync(join(dir, name));
      assert.deepEqual([...raw.subarray(0, 2)], [0x1f, 0x8b], `${name} is gzip`);
      const lines = gunzipSync(raw).toString('utf8').trim().split('\n');
      assert.ok(lines.length > 900, `${name} holds ~1 MB`);
      for (const l of lines) seen.push((JSON.parse(l) as { i: number }).i);
    }
    // The two newest rotations are kept: the last record of the newest backup precedes the active file.
    const active = readJsonLines(file).map((r) => r.i as number);
    assert.equal(Math.max(...seen) + 1, active[0]);
    assert.equal(active.at(-1), 4199);
  });

  test('without compress the rotated files are plain text', async () => {
    const dir = tempDir();
    const file = join(dir, 'plain.log');
    const logger = createLogger({
      outputs: [{ type: 'file', path: file, max_size_mb: 0.05, max_backups: 3, compress: false }],
    });
    for (let i = 0; i < 700; i++) logger.info({ i, pad: 'y'.repeat(400) }, 'p'); // ~6 rotations
    await logger.close();
    const rotated = readdirSync(dir).filter((f) => f.startsWith('plain.log.') && !f.endsWith('.history'));
    assert.equal(rotated.length, 3);
    for (const name of rotated) {
      assert.equal(name.endsWith('.gz'), false);
      readJsonLines(join(dir, name));
    }
  });
});

describe('invalid configuration', () => {
  test('rejects a bad level, format, output type and rotation values, naming the key', () => {
    const cases: [Parameters<typeof createLogger>[0], RegExp][] = [
      [{ level: 'loud' as never }, /logging\.level: "loud"/],
      [{ format: 'xml' as never }, /logging\.format: "xml"/],
      [{ outputs: [{ type: 'syslog' } as never] }, /logging\.output\[0\]\.type: "syslog"/],
      [
        { outputs: [{ type: 'stdout' }, { type: 'file', path: '/tmp/x.log', max_backups: 0 }] },
        /logging\.output\[1\]\.max_backups: 0/,
      ],
      [{ outputs: [{ type: 'file', path: '/tmp/x.log', max_size_mb: -1 }] }, /max_size_mb: -1/],
      [
        { outputs: [{ type: 'stdout', level: 'verbose' as never }] },
        /logging\.output\[0\]\.level: "verbose"/,
      ],
    ];
    for (const [opts, re] of cases) {
      assert.throws(
        () => createLogger(opts),
        (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_INVALID' && re.test(e.message),
      );
    }
  });

  test('a log directory that cannot be created is a clear error', () => {
    const dir = tempDir();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    assert.throws(
      () => createLogger({ outputs: [{ type: 'file', path: join(blocker, 'sub', 'gateway.log') }] }),
      (e: unknown) =>
        e instanceof GatewayError && /logging\.output\[0\]\.path: cannot create directory/.test(e.message),
    );
  });

  test('a log path that cannot be opened disables that output with one stderr line, not a crash', async () => {
    // A directory where the file should be fails for root too, unlike a read-only mode.
    const target = join(tempDir(), 'gateway.log');
    const res = await runChild(`
      import { mkdirSync } from 'node:fs';
      mkdirSync(${JSON.stringify(target)});
      const log = createLogger({ outputs: [{ type: 'file', path: ${JSON.stringify(target)} }, { type: 'stdout' }] });
      log.info('still alive');
      await new Promise((r) => setTimeout(r, 200));
      log.info('still alive 2');
      await log.close();
    `);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(
      res.stderr.match(/log output .*gateway\.log failed and is disabled/g)?.length,
      1,
      res.stderr,
    );
    assert.equal(res.stdout.trim().split('\n').length, 2);
  });
});
