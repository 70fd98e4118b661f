/** @module Unit tests of the systemd unit rendering behind `openclaw gateway install`. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderUnit, thisInstallation, unitPath, UNIT_NAME, type Installation } from './gateway-install.js';

const repo = thisInstallation();
const template = readFileSync(join(repo.packageRoot, 'deploy', 'systemd', UNIT_NAME), 'utf8');

/** key -> values, comments dropped. */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

const inst: Installation = {
  packageRoot: '/opt/pkg/openclaw',
  node: '/usr/bin/node',
  bin: '/opt/pkg/openclaw/bin/openclaw.js',
};

describe('renderUnit', () => {
  test('finds this installation: the package root holds bin/openclaw.js and the unit template', () => {
    assert.ok(repo.bin.endsWith(join('bin', 'openclaw.js')));
    assert.equal(repo.node, process.execPath);
    assert.match(template, /^ExecStart=/m);
  });

  test('a system unit is the shipped one with ExecStart, Documentation and User for this installation', () => {
    const { text, notes } = renderUnit(template, { system: true, install: inst });
    const d = directives(text);
    assert.deepEqual(d.get('ExecStart'), [
      '/usr/bin/node /opt/pkg/openclaw/bin/openclaw.js gateway start --headless',
    ]);
    assert.deepEqual(d.get('Documentation'), ['file:///opt/pkg/openclaw/docs/deployment.md']);
    assert.deepEqual(d.get('User'), ['openclaw']);
    assert.deepEqual(d.get('Group'), ['openclaw']);
    assert.deepEqual(d.get('ProtectHome'), ['true']);
    assert.deepEqual(notes, []);
    // Everything else is as shipped, comments included.
    const shipped = directives(template);
    for (const [k, v] of shipped)
      if (!['ExecStart', 'Documentation'].includes(k)) assert.deepEqual(d.get(k), v, k);
    assert.match(text, /# EDIT: must match OPENCLAW_DATA_DIR/);
    assert.doesNotMatch(text, /usr\/local\/bin\/openclaw/);
  });

  test('--user NAME runs as NAME with its primary group', () => {
    const d = directives(renderUnit(template, { system: true, user: 'alice', install: inst }).text);
    assert.deepEqual(d.get('User'), ['alice']);
    assert.equal(d.has('Group'), false);
  });

  test('an installation under /home keeps ProtectHome from hiding ExecStart, and says so', () => {
    const home: Installation = {
      packageRoot: '/home/al/.nvm/lib/openclaw',
      node: '/home/al/.nvm/bin/node',
      bin: '/home/al/.nvm/lib/openclaw/bin/openclaw.js',
    };
    const { text, notes } = renderUnit(template, { system: true, install: home });
    assert.deepEqual(directives(text).get('ProtectHome'), ['read-only']);
    assert.match(notes.join('\n'), /ProtectHome=read-only/);
  });

  test('quotes ExecStart paths with spaces as systemd requires', () => {
    const spaced: Installation = {
      packageRoot: '/opt/my apps/openclaw',
      node: '/opt/node js/bin/node',
      bin: '/opt/my apps/openclaw/bin/openclaw.js',
    };
    const d = directives(renderUnit(template, { system: true, install: spaced }).text);
    assert.deepEqual(d.get('ExecStart'), [
      '"/opt/node js/bin/node" "/opt/my apps/openclaw/bin/openclaw.js" gateway start --headless',
    ]);
  });

  test('a user unit runs as the caller with the CLI defaults and no namespace sandbox', () => {
    const { text } = renderUnit(template, { install: inst });
    const d = directives(text);
    for (const k of [
      'User',
      'Group',
      'ProtectSystem',
      'ReadWritePaths',
      'PrivateTmp',
      'CapabilityBoundingSet',
      'LogsDirectory',
    ])
      assert.equal(d.has(k), false, k);
    assert.deepEqual(d.get('WantedBy'), ['default.target']);
    assert.deepEqual(d.get('EnvironmentFile'), ['-%h/.openclaw/.env']);
    assert.deepEqual(d.get('WorkingDirectory'), ['%h']);
    assert.equal(d.has('Wants'), false, 'network-online.target is a system unit');
    const env = (d.get('Environment') ?? []).join(' ');
    assert.match(env, /OPENCLAW_HEADLESS=true/);
    assert.doesNotMatch(env, /OPENCLAW_DATA_DIR|OPENCLAW_LOG_DIR|OPENCLAW_CONFIG/);
    assert.deepEqual(d.get('NoNewPrivileges'), ['true']);
    assert.deepEqual(d.get('LimitNOFILE'), ['65536']);
    assert.doesNotMatch(text, /ReadWritePaths|EDIT:/, 'no comment about a dropped line survives');
  });
});

describe('unitPath', () => {
  test('user units go to $XDG_CONFIG_HOME or ~/.config/systemd/user, system units under --root', () => {
    assert.equal(unitPath({ home: '/h' }), '/h/.config/systemd/user/openclaw-gateway.service');
    assert.equal(unitPath({ home: '/h', xdgConfigHome: '/x' }), '/x/systemd/user/openclaw-gateway.service');
    assert.equal(unitPath({ system: true }), '/etc/systemd/system/openclaw-gateway.service');
    assert.equal(
      unitPath({ system: true, root: '/tmp/r' }),
      '/tmp/r/etc/systemd/system/openclaw-gateway.service',
    );
  });
});
