/**
 * @module `openclaw gateway install|uninstall` through the real CLI, in a temp HOME (user units) and
 * under --root (system units): the written units pass `systemd-analyze verify` and their ExecStart
 * runs this installation. systemctl is never called.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, runCli, REPO_ROOT } from '../../support/gateway-process.js';
import { makeTempDir, runTool } from '../support/tools.js';

const UNIT = 'openclaw-gateway.service';

function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  assert.ok(line, 'ExecStart line');
  return line.split(' ');
}

/** systemd-analyze verify; its complaints about our unit (it prints unrelated host noise too). */
function verify(path: string, user: boolean, runtimeDir: string): string[] {
  const res = runTool('systemd-analyze', [...(user ? ['--user'] : []), 'verify', path], {
    env: { XDG_RUNTIME_DIR: runtimeDir },
  });
  const ours = res.output
    .split('\n')
    .slice(1)
    .filter((l) => l.includes(UNIT));
  return res.status === 0 ? ours : [`exit ${res.status}: ${res.output}`];
}

describe('openclaw gateway install / uninstall', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let home = '';
  let runtime = '';
  let env: NodeJS.ProcessEnv;
  before(() => {
    tmp = makeTempDir('openclaw-install-');
    home = join(tmp.path, 'home');
    runtime = join(tmp.path, 'run');
    mkdirSync(home);
    mkdirSync(runtime, { mode: 0o700 });
    env = cliEnv(home, { XDG_CONFIG_HOME: undefined });
  });
  after(() => tmp.remove());

  test('--dry-run prints the user unit and writes nothing', async () => {
    const res = await runCli(['gateway', 'install', '--dry-run'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\[Service\]$/m);
    assert.match(res.stdout, /^WantedBy=default\.target$/m);
    assert.match(res.stderr, new RegExp(`would write ${home}/\\.config/systemd/user/${UNIT}`));
    assert.equal(existsSync(join(home, '.config')), false);
  });

  test('writes a user unit to ~/.config/systemd/user that verifies and runs this installation', async () => {
    const res = await runCli(['gateway', 'install'], env);
    assert.equal(res.code, 0, res.stderr);
    const path = join(home, '.config', 'systemd', 'user', UNIT);
    assert.match(res.stdout, new RegExp(`wrote ${path}`));
    assert.match(res.stdout, /systemctl --user enable --now openclaw-gateway/);
    const unit = readFileSync(path, 'utf8');
    const [node, bin, ...args] = execStart(unit);
    assert.equal(node, process.execPath);
    assert.equal(bin, join(REPO_ROOT, 'bin', 'openclaw.js'));
    assert.deepEqual(args, ['gateway', 'start', '--headless']);
    assert.deepEqual(verify(path, true, runtime), []);
    // What systemd would run is this openclaw.
    const version = runTool(node!, [bin!, '--version']);
    assert.equal(version.status, 0, version.output);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    const again = await runCli(['gateway', 'install'], env);
    assert.match(again.stdout, /^updated /m, 're-installing updates the unit in place');
  });

  test('--system --root writes /etc/systemd/system/ there, with --user, and it verifies', async () => {
    const root = join(tmp.path, 'root');
    const res = await runCli(
      ['gateway', 'install', '--system', '--root', root, '--user', 'svc-openclaw'],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const path = join(root, 'etc', 'systemd', 'system', UNIT);
    const unit = readFileSync(path, 'utf8');
    assert.match(unit, /^User=svc-openclaw$/m);
    assert.doesNotMatch(unit, /^Group=/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    assert.equal(execStart(unit)[0], process.execPath);
    assert.deepEqual(verify(path, false, runtime), []);
    assert.match(res.stdout, /sudo systemctl enable --now openclaw-gateway/);
  });

  test('refuses root as the service user, --user without --system, and unwritable paths', async () => {
    // A file where the directory should be: the write fails with the path in the message.
    const blocked = join(tmp.path, 'blocked');
    mkdirSync(join(blocked, 'etc', 'systemd'), { recursive: true });
    writeFileSync(join(blocked, 'etc', 'systemd', 'system'), '');
    const [asRoot, userOnly, unwritable] = await Promise.all([
      runCli(['gateway', 'install', '--system', '--root', join(tmp.path, 'r2'), '--user', 'root'], env),
      runCli(['gateway', 'install', '--user', 'alice'], env),
      runCli(['gateway', 'install', '--system', '--root', blocked], env),
    ]);
    assert.equal(asRoot.code, 2);
    assert.match(asRoot.stderr, /must not run as root/);
    assert.equal(existsSync(join(tmp.path, 'r2')), false, 'nothing written');
    assert.equal(userOnly.code, 2);
    assert.match(userOnly.stderr, /--user goes with --system/);
    assert.equal(unwritable.code, 2);
    assert.match(unwritable.stderr, /cannot write .*etc\/systemd\/system\/openclaw-gateway\.service/);
  });

  test('uninstall removes the unit and the links `systemctl enable` made, and is idempotent', async () => {
    const dir = join(home, '.config', 'systemd', 'user');
    await runCli(['gateway', 'install'], env);
    mkdirSync(join(dir, 'default.target.wants'), { recursive: true });
    symlinkSync(join(dir, UNIT), join(dir, 'default.target.wants', UNIT));
    const dry = await runCli(['gateway', 'uninstall', '--dry-run'], env);
    assert.match(dry.stdout, /would remove .*default\.target\.wants/);
    assert.ok(existsSync(join(dir, UNIT)));
    const res = await runCli(['gateway', 'uninstall'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(existsSync(join(dir, UNIT)), false);
    assert.equal(existsSync(join(dir, 'default.target.wants', UNIT)), false);
    assert.match(res.stdout, /systemctl --user daemon-reload/);
    const again = await runCli(['gateway', 'uninstall'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /not installed/);
    const sys = await runCli(['gateway', 'uninstall', '--system', '--root', join(tmp.path, 'root')], env);
    assert.match(sys.stdout, /removed .*etc\/systemd\/system\/openclaw-gateway\.service/);
  });
});
