/**
 * @module Lints every deploy/ shell script with shellcheck and runs deploy/scripts/backup-openclaw.sh
 * against a stand-in `openclaw` CLI that records how it was called.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { deployPath, repoRoot } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';

const SCRIPT = deployPath('scripts', 'backup-openclaw.sh');

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return shellScripts(p);
    return name.endsWith('.sh') ? [p] : [];
  });
}

/**
 * Stand-in CLI: records argv, uid and selected env, then writes a snapshot to --out, unless
 * FAKE_MODE says to fail or to write nothing.
 */
const FAKE_CLI = `#!/bin/sh
set -eu
rec="$FAKE_RECORD"
{ printf 'uid=%s\\n' "$(id -u)"; printf 'arg=%s\\n' "$@"; printf 'data_dir=%s\\n' "\${OPENCLAW_DATA_DIR:-}";
  printf 'tricky=%s\\n' "\${TRICKY_VALUE:-}"; printf 'key=%s\\n' "\${OPENAI_API_KEY:-}"; } > "$rec"
out=""
while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
case "\${FAKE_MODE:-ok}" in
  fail) echo "gateway store is locked" >&2; exit 7 ;;
  empty) : > "$out" ;;
  *) printf 'SNAPSHOT' > "$out" ;;
esac
`;

describe('deploy shell scripts', () => {
  test('pass shellcheck', () => {
    const scripts = shellScripts(join(repoRoot(), 'deploy'));
    assert.ok(scripts.length > 0);
    for (const s of scripts) {
      const res = runTool('shellcheck', ['--severity=style', s]);
      assert.equal(res.status, 0, `${relative(repoRoot(), s)}:\n${res.output}`);
    }
  });

  test('shellcheck does flag a script with an unquoted expansion (the lint is live)', () => {
    const tmp = makeTempDir();
    try {
      const bad = join(tmp.path, 'bad.sh');
      writeFileSync(bad, '#!/bin/bash\nrm -rf $1/*\n');
      const res = runTool('shellcheck', [bad]);
      assert.notEqual(res.status, 0);
      assert.match(res.output, /SC2086|SC2115/);
    } finally {
      tmp.remove();
    }
  });
});

describe('backup-openclaw.sh', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let bin: string;
  let n = 0;
  before(() => {
    tmp = makeTempDir();
    bin = join(tmp.path, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'openclaw'), FAKE_CLI);
    chmodSync(join(bin, 'openclaw'), 0o755);
  });
  after(() => tmp.remove());

  /** A fresh case directory with a config dir and an env file, and a runner for the script. */
  function setup(envFileText = '') {
    const dir = join(tmp.path, `case-${n++}`);
    const backups = join(dir, 'backups');
    const config = join(dir, 'config');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'config.yaml'), 'gateway:\n  port: 18789\n');
    const envFile = join(dir, 'gateway.env');
    writeFileSync(envFile, envFileText);
    const record = join(dir, 'record.txt');
    const run = (env: NodeJS.ProcessEnv = {}) =>
      runTool('bash', [SCRIPT], {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          BACKUP_DIR: backups,
          CONFIG_PATHS: config,
          OPENCLAW_ENV_FILE: envFile,
          OPENCLAW_USER: '',
          OPENCLAW_DATA_DIR: '',
          FAKE_RECORD: record,
          ...env,
        },
      });
    const recorded = () => readFileSync(record, 'utf8').trim().split('\n');
    const files = () => (existsSync(backups) ? readdirSync(backups).sort() : []);
    return { dir, backups, config, envFile, run, recorded, files };
  }

  test('writes the store snapshot via `openclaw backup create --out`, archives the config, links latest', () => {
    const c = setup();
    const res = c.run();
    assert.equal(res.status, 0, res.output);
    const args = c.recorded().filter((l) => l.startsWith('arg='));
    assert.deepEqual(args.slice(0, 3), ['arg=backup', 'arg=create', 'arg=--out']);
    assert.equal(args.length, 4);
    const store = c.files().find((f) => /^openclaw-\d{8}-\d{6}\.backup$/.test(f));
    assert.ok(store, c.files().join(' '));
    assert.equal(readFileSync(join(c.backups, store), 'utf8'), 'SNAPSHOT');
    assert.equal(readlinkSync(join(c.backups, 'openclaw-latest.backup')), store);
    const cfg = c.files().find((f) => /^config-\d{8}-\d{6}\.tar\.gz$/.test(f));
    assert.ok(cfg);
    const listing = runTool('tar', ['tzf', join(c.backups, cfg)]);
    assert.ok(listing.stdout.includes(`${c.config.slice(1)}/config.yaml`), listing.output);
    assert.equal(statSync(join(c.backups, store)).mode & 0o077, 0, 'backups are private (umask 077)');
    assert.deepEqual(
      c.files().filter((f) => f.startsWith('.staging')),
      [],
      'no staging dir is left behind',
    );
  });

  test('reads the systemd EnvironmentFile as data, never executing it, and defaults the data dir', () => {
    const marker = join(tmp.path, 'executed');
    const c = setup(
      [
        '# comment',
        'OPENAI_API_KEY="sk-test-value"',
        `TRICKY_VALUE=$(touch ${marker}) and spaces`,
        'not an assignment',
      ].join('\n'),
    );
    const res = c.run();
    assert.equal(res.status, 0, res.output);
    const rec = c.recorded();
    assert.ok(rec.includes('key=sk-test-value'), rec.join('\n'));
    assert.ok(rec.includes(`tricky=$(touch ${marker}) and spaces`), rec.join('\n'));
    assert.equal(existsSync(marker), false, 'a command substitution in the env file ran');
    assert.ok(rec.includes('data_dir=/opt/openclaw/data'), 'the systemd unit default data dir');
  });

  test('deletes only its own backups older than RETENTION_DAYS', () => {
    const c = setup();
    mkdirSync(c.backups, { recursive: true });
    const old = Date.now() / 1000 - 40 * 86400;
    const names = ['openclaw-20000101-000000.backup', 'config-20000101-000000.tar.gz', 'notes.txt'];
    for (const f of names) {
      writeFileSync(join(c.backups, f), 'x');
      utimesSync(join(c.backups, f), old, old);
    }
    writeFileSync(join(c.backups, 'openclaw-20991231-000000.backup'), 'recent');
    const res = c.run({ RETENTION_DAYS: '30' });
    assert.equal(res.status, 0, res.output);
    const left = c.files();
    assert.ok(!left.includes('openclaw-20000101-000000.backup'), left.join(' '));
    assert.ok(!left.includes('config-20000101-000000.tar.gz'), left.join(' '));
    assert.ok(left.includes('notes.txt'), 'files the script did not make are kept');
    assert.ok(left.includes('openclaw-20991231-000000.backup'), 'recent backups are kept');
    assert.match(res.stdout, /removed .*openclaw-20000101-000000\.backup/);
  });

  test('fails, keeps no partial file and leaves latest alone when the CLI fails', () => {
    const c = setup();
    assert.equal(c.run().status, 0);
    const before = readlinkSync(join(c.backups, 'openclaw-latest.backup'));
    const count = c.files().filter((f) => f.endsWith('.backup')).length;
    const res = c.run({ FAKE_MODE: 'fail' });
    assert.equal(res.status, 7, res.output);
    assert.match(res.stderr, /gateway store is locked/);
    assert.equal(readlinkSync(join(c.backups, 'openclaw-latest.backup')), before);
    assert.equal(c.files().filter((f) => f.endsWith('.backup')).length, count);
    assert.deepEqual(
      c.files().filter((f) => f.startsWith('.staging')),
      [],
    );
  });

  test('treats an empty snapshot as a failure', () => {
    const c = setup();
    const res = c.run({ FAKE_MODE: 'empty' });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /wrote no data/);
    assert.equal(
      c.files().some((f) => f.endsWith('.backup')),
      false,
    );
  });

  test('rejects a RETENTION_DAYS that is not a number before touching anything', () => {
    const c = setup();
    const res = c.run({ RETENTION_DAYS: '30 days' });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /RETENTION_DAYS must be a whole number/);
    assert.equal(existsSync(c.backups), false);
  });

  test('refuses to run while another backup holds the lock', async () => {
    const c = setup();
    mkdirSync(c.backups, { recursive: true });
    const holder = spawn('flock', [join(c.backups, '.backup-openclaw.lock'), 'sleep', '30'], {
      stdio: 'ignore',
    });
    try {
      // Wait until the holder has the lock.
      for (let i = 0; i < 100; i++) {
        if (runTool('flock', ['-n', join(c.backups, '.backup-openclaw.lock'), 'true']).status !== 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const res = c.run();
      assert.notEqual(res.status, 0);
      assert.match(res.stderr, /another backup is still running/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('as root, runs the CLI as OPENCLAW_USER so no root-owned file lands in the data dir', () => {
    const c = setup();
    if (process.getuid?.() !== 0) {
      // Not root: the switch does not apply, and the CLI runs as the current user.
      const res = c.run({ OPENCLAW_USER: 'nobody' });
      assert.equal(res.status, 0, res.output);
      assert.ok(c.recorded().includes(`uid=${process.getuid?.()}`));
      return;
    }
    // nobody must be able to reach the stand-in CLI and its record file.
    for (const p of [tmp.path, c.dir]) chmodSync(p, 0o777);
    const res = c.run({ OPENCLAW_USER: 'nobody' });
    assert.equal(res.status, 0, res.output);
    const nobody = runTool('id', ['-u', 'nobody']).stdout.trim();
    assert.ok(c.recorded().includes(`uid=${nobody}`), c.recorded().join('\n'));
    assert.equal(statSync(c.backups).mode & 0o777, 0o711, 'traversable, not listable');
  });
});
