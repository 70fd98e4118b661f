import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { GatewayError } from '../protocol/index.js';

function home(yaml?: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-test-'));
  if (yaml !== undefined) {
    mkdirSync(join(dir, '.openclaw'));
    writeFileSync(join(dir, '.openclaw', 'config.yaml'), yaml);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, 'GW_ERR_CONFIG_INVALID');
    return err.message;
  }
  assert.fail('expected the config to be refused');
}

describe('loadConfig', () => {
  test('defaults match the seed: 127.0.0.1:18789, /ws, 30 s ping, 10 s pong, 10 MB frames', () => {
    const h = home();
    try {
      const c = loadConfig({ home: h.dir, env: {} });
      assert.equal(c.gateway.host, '127.0.0.1');
      assert.equal(c.gateway.port, 18789);
      assert.equal(c.gateway.websocket_path, '/ws');
      assert.equal(c.gateway.websocket.ping_interval, 30);
      assert.equal(c.gateway.websocket.ping_timeout, 10);
      assert.equal(c.gateway.websocket.max_message_size, 10485760);
      assert.equal(c.tasks.queue_timeout, 600);
      assert.equal(c.reconnect.max_retries, -1);
      assert.equal(c.data_dir, join(h.dir, '.openclaw', 'data'));
      assert.deepEqual(
        c.logging.output.map((o) => o.type),
        ['stdout', 'file'],
      );
      assert.equal(c.config_path, null);
    } finally {
      h.cleanup();
    }
  });

  test('later layers win: defaults < file < env < flags', () => {
    const h = home('gateway:\n  port: 18790\n  host: 127.0.0.2\ntasks:\n  queue_timeout: 60\n');
    try {
      const fileOnly = loadConfig({ home: h.dir, env: {} });
      assert.equal(fileOnly.gateway.port, 18790);
      assert.equal(fileOnly.tasks.queue_timeout, 60);
      const withEnv = loadConfig({ home: h.dir, env: { OPENCLAW_GATEWAY_PORT: '18791' } });
      assert.equal(withEnv.gateway.port, 18791);
      assert.equal(withEnv.gateway.host, '127.0.0.2', 'the file still provides what env does not');
      const withFlag = loadConfig({
        home: h.dir,
        env: { OPENCLAW_GATEWAY_PORT: '18791' },
        flags: { 'gateway.port': 18792 },
      });
      assert.equal(withFlag.gateway.port, 18792);
    } finally {
      h.cleanup();
    }
  });

  test('OPENCLAW_CONFIG and an explicit path are honoured; a missing explicit file is an error', () => {
    const h = home();
    try {
      const p = join(h.dir, 'other.yaml');
      writeFileSync(p, 'gateway:\n  port: 18800\n');
      assert.equal(loadConfig({ home: h.dir, env: { OPENCLAW_CONFIG: p } }).gateway.port, 18800);
      assert.equal(loadConfig({ home: h.dir, env: {}, configPath: p }).config_path, p);
      assert.match(
        message(() => loadConfig({ home: h.dir, env: {}, configPath: join(h.dir, 'nope.yaml') })),
        /cannot read \(ENOENT\)/,
      );
    } finally {
      h.cleanup();
    }
  });

  test('expands ${VAR} and ${VAR:-default}; an unset variable names the key and the variable', () => {
    const h = home('gateway:\n  auth:\n    secret: ${MY_SECRET}\n  host: ${MY_HOST:-127.0.0.3}\n');
    try {
      const c = loadConfig({ home: h.dir, env: { MY_SECRET: 'a-very-long-secret-value' } });
      assert.equal(c.gateway.auth.secret, 'a-very-long-secret-value');
      assert.equal(c.gateway.host, '127.0.0.3');
      const m = message(() => loadConfig({ home: h.dir, env: {} }));
      assert.match(m, /gateway\.auth\.secret uses \$\{MY_SECRET\}, but MY_SECRET is not set/);
    } finally {
      h.cleanup();
    }
  });

  test('every kind of invalid value gets one line naming key, value and what is allowed', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [
        'gateway:\n  prot: 1\n',
        {},
        /gateway\.prot is not a known key \(did you mean gateway\.port\?\); allowed here: host, port/,
      ],
      [
        'gateway:\n  port: 70000\n',
        {},
        /gateway\.port = 70000: must be at most 65535 \(from file .*config\.yaml\)/,
      ],
      ['gateway:\n  port: "abc"\n', {}, /gateway\.port = "abc": expected number/],
      ['gateway:\n  auth:\n    mode: maybe\n', {}, /gateway\.auth\.mode = "maybe": allowed: "token", "none"/],
      [
        'gateway:\n  websocket:\n    ping_interval: 0\n',
        {},
        /gateway\.websocket\.ping_interval = 0: must be greater than 0/,
      ],
      ['gateway: [\n', {}, /not valid YAML at line/],
      ['- a\n- b\n', {}, /top level must be a mapping/],
      ['', { OPENCLAW_GATEWAY_PORT: 'abc' }, /OPENCLAW_GATEWAY_PORT="abc": expected a whole number/],
      ['', { OPENCLAW_HEADLESS: 'maybe' }, /OPENCLAW_HEADLESS="maybe": expected true or false/],
      [
        '',
        { OPENCLAW_LOG_LEVEL: 'loud' },
        /logging\.level = "loud": allowed: .*\(from env OPENCLAW_LOG_LEVEL\)/,
      ],
    ];
    for (const [yaml, env, re] of cases) {
      const h = home(yaml);
      try {
        const m = message(() => loadConfig({ home: h.dir, env }));
        assert.match(m, re, `for ${JSON.stringify(yaml)} ${JSON.stringify(env)}`);
        assert.ok(!m.includes('\n'), 'one line');
      } finally {
        h.cleanup();
      }
    }
  });

  test('env lists and booleans are parsed', () => {
    const h = home();
    try {
      const c = loadConfig({
        home: h.dir,
        env: {
          OPENCLAW_CLUSTER_MODE: 'true',
          OPENCLAW_ETCD_ENDPOINTS: 'http://a:2379, http://b:2379',
          OPENCLAW_HEADLESS: '1',
        },
      });
      assert.equal(c.cluster.enabled, true);
      assert.deepEqual(c.cluster.etcd_endpoints, ['http://a:2379', 'http://b:2379']);
      assert.equal(c.gateway.headless, true);
    } finally {
      h.cleanup();
    }
  });
});
