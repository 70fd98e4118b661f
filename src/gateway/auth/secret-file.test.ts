import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GatewayError } from '../../protocol/index.js';
import {
  authSecretPath,
  checkSecretFileMode,
  formatMode,
  readAuthSecretFile,
  resolveAuthSecret,
} from './secret-file.js';

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oc-auth-secret-'));
  roots.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

function isConfigError(re: RegExp, forbidden?: string) {
  return (err: unknown) =>
    err instanceof GatewayError &&
    err.code === 'GW_ERR_CONFIG_INVALID' &&
    re.test(err.message) &&
    (forbidden === undefined || !err.message.includes(forbidden));
}

describe('resolveAuthSecret', () => {
  test('a configured secret wins and no file is touched', async () => {
    const dataDir = join(await tempRoot(), 'data');
    const r = await resolveAuthSecret({ configured: 'configured-secret-1234', dataDir });
    assert.deepEqual(r, { secret: 'configured-secret-1234', source: 'config' });
    assert.equal(existsSync(dataDir), false);
  });

  test('refuses a configured secret shorter than 16 characters, even an empty one', async () => {
    const dataDir = join(await tempRoot(), 'data');
    for (const configured of ['', 'fifteen-chars!!']) {
      await assert.rejects(
        resolveAuthSecret({ configured, dataDir }),
        isConfigError(/OPENCLAW_AUTH_SECRET.*gateway\.auth\.secret.*at least 16/s, configured || undefined),
      );
    }
    assert.equal((await resolveAuthSecret({ configured: 'sixteen-chars!!!', dataDir })).source, 'config');
  });

  test('generates a 32-byte hex secret into a new 0700 data dir with a 0600 file, then reuses it', async () => {
    const dataDir = join(await tempRoot(), 'nested', 'data');
    const first = await resolveAuthSecret({ configured: undefined, dataDir });
    assert.equal(first.source, 'generated');
    assert.equal(first.path, authSecretPath(dataDir));
    assert.match(first.secret, /^[0-9a-f]{64}$/);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(first.path!)).mode & 0o777, 0o600);
    assert.equal((await readFile(first.path!, 'utf8')).trim(), first.secret);

    const second = await resolveAuthSecret({ dataDir });
    assert.deepEqual(second, { secret: first.secret, source: 'file', path: first.path });
  });

  test('leaves the mode of an existing data dir alone', async () => {
    const dataDir = await tempRoot();
    await chmod(dataDir, 0o755);
    await resolveAuthSecret({ dataDir });
    assert.equal((await stat(dataDir)).mode & 0o777, 0o755);
  });

  test('reads an operator-written file, trimming the trailing newline', async () => {
    const dataDir = await tempRoot();
    await writeFile(join(dataDir, 'auth.secret'), '  my-handwritten-secret-value\n', { mode: 0o600 });
    assert.deepEqual(await resolveAuthSecret({ dataDir }), {
      secret: 'my-handwritten-secret-value',
      source: 'file',
      path: join(dataDir, 'auth.secret'),
    });
  });

  test('refuses a too-short secret file after the grace period, naming the file, not the secret', async () => {
    const dataDir = await tempRoot();
    await writeFile(join(dataDir, 'auth.secret'), 'tiny\n');
    const started = Date.now();
    await assert.rejects(
      resolveAuthSecret({ dataDir, writerGraceMs: 100 }),
      isConfigError(/auth\.secret \(delete it.*4 characters long; at least 16/s, 'tiny'),
    );
    assert.ok(Date.now() - started >= 100, 'waited for a possible writer');
  });

  test('waits for a writer that has created the file but not yet written it', async () => {
    const dataDir = await tempRoot();
    const path = join(dataDir, 'auth.secret');
    await writeFile(path, '');
    const writer = setTimeout(() => void writeFile(path, 'written-a-little-later-0123\n'), 150);
    try {
      const r = await resolveAuthSecret({ dataDir, writerGraceMs: 3000 });
      assert.deepEqual(r, { secret: 'written-a-little-later-0123', source: 'file', path });
    } finally {
      clearTimeout(writer);
    }
  });

  test('does not follow a symlink planted at the secret path', async () => {
    const root = await tempRoot();
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    const target = join(root, 'stolen.txt');
    await symlink(target, join(dataDir, 'auth.secret'));
    await assert.rejects(
      resolveAuthSecret({ dataDir, writerGraceMs: 50 }),
      isConfigError(/auth\.secret \(a symbolic link to a missing file; remove it\)/),
    );
    assert.equal(existsSync(target), false, 'nothing was written through the link');
  });

  test('a data dir that cannot be created is a clear config error', async () => {
    const root = await tempRoot();
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'x');
    await assert.rejects(
      resolveAuthSecret({ dataDir: join(blocker, 'data') }),
      isConfigError(/cannot create the data dir .*a-file.*(ENOTDIR|EEXIST).*OPENCLAW_DATA_DIR/),
    );
  });

  test('concurrent first starts within one process agree on one secret', async () => {
    const dataDir = join(await tempRoot(), 'data');
    const results = await Promise.all(Array.from({ length: 8 }, () => resolveAuthSecret({ dataDir })));
    assert.equal(new Set(results.map((r) => r.secret)).size, 1);
    assert.equal(results.filter((r) => r.source === 'generated').length, 1);
  });

  test('concurrent first starts in separate processes agree on one secret', async () => {
    const dataDir = join(await tempRoot(), 'shared', 'data');
    const moduleUrl = new URL('./secret-file.js', import.meta.url).href;
    // Children report "ready" once the module is loaded and then wait for "go", so all of them hit the
    // empty data dir within microseconds of each other rather than staggered by start-up time.
    const script = `
      import { createInterface } from 'node:readline';
      const [url, dir] = process.argv.slice(1);
      const { resolveAuthSecret } = await import(url);
      const rl = createInterface({ input: process.stdin });
      process.stdout.write('ready\\n');
      for await (const _ of rl) break;
      rl.close();
      const r = await resolveAuthSecret({ dataDir: dir });
      process.stdout.write(JSON.stringify(r) + '\\n');
    `;
    const n = 6;
    const children = Array.from({ length: n }, () =>
      spawn(
        process.execPath,
        [...process.execArgv, '--input-type=module', '-e', script, moduleUrl, dataDir],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      ),
    );
    // Listening from the start: a child may well have exited before its result line is consumed.
    const exits = children.map(
      (c) => new Promise<number | null>((res) => c.once('exit', (code) => res(code))),
    );
    try {
      const lines = children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
      for (const it of lines) assert.equal((await it.next()).value, 'ready');
      for (const c of children) c.stdin!.write('go\n');
      const results = await Promise.all(
        lines.map(
          async (it) => JSON.parse(String((await it.next()).value)) as { secret: string; source: string },
        ),
      );
      const codes = await Promise.all(exits);
      assert.deepEqual(codes, Array(n).fill(0));
      const secrets = new Set(results.map((r) => r.secret));
      assert.equal(secrets.size, 1, 'all processes got the same secret');
      assert.equal(results.filter((r) => r.source === 'generated').length, 1, 'exactly one generated it');
      const [secret] = secrets;
      assert.equal((await readFile(authSecretPath(dataDir), 'utf8')).trim(), secret);
      assert.equal((await stat(authSecretPath(dataDir))).mode & 0o777, 0o600);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
  });
});

describe('readAuthSecretFile', () => {
  test('resolves null for a missing file without creating anything', async () => {
    const dataDir = await tempRoot();
    assert.equal(await readAuthSecretFile(authSecretPath(dataDir)), null);
    assert.equal(existsSync(authSecretPath(dataDir)), false);
  });
});

describe('checkSecretFileMode', () => {
  test('accepts 0600 and flags group or world access', async () => {
    const { path } = await resolveAuthSecret({ dataDir: await tempRoot() });
    assert.deepEqual(await checkSecretFileMode(path!), { ok: true, mode: 0o600, exists: true });
    await chmod(path!, 0o644);
    assert.deepEqual(await checkSecretFileMode(path!), { ok: false, mode: 0o644, exists: true });
    await chmod(path!, 0o640);
    assert.equal((await checkSecretFileMode(path!)).ok, false);
    await chmod(path!, 0o400);
    assert.equal((await checkSecretFileMode(path!)).ok, true);
    assert.equal(formatMode(0o644), '0644');
    assert.equal(formatMode(0o100600), '0600');
  });

  test('reports a missing file as not ok and not existing', async () => {
    const dir = await tempRoot();
    assert.deepEqual(await checkSecretFileMode(join(dir, 'auth.secret')), {
      ok: false,
      mode: null,
      exists: false,
    });
  });
});
