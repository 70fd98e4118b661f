/**
 * @module deploy/haproxy/haproxy.cfg (seed 8.3): `haproxy -c` as shipped and, adapted only in ports
 * and server addresses, with warnings fatal; plus the settings long-lived WebSockets depend on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/index.js';
import { deployPath, readDeploy } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { prepareHaproxy } from './support/proxy-harness.js';

/** Section header ("defaults", "backend openclaw-gateways") -> its lines, comments dropped. */
function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      current = [];
      out.set(line.trim(), current);
    } else current.push(line.trim());
  }
  return out;
}

function seconds(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  assert.ok(m, `HAProxy time ${v}`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? 'ms'] ?? 0.001);
}

describe('HAProxy config', () => {
  const text = readDeploy('haproxy', 'haproxy.cfg');
  const cfg = sections(text);
  const get = (name: string) => {
    const s = cfg.get(name);
    assert.ok(s, `section ${name}`);
    return s;
  };
  const value = (lines: string[], key: string) =>
    lines
      .find((l) => l.startsWith(`${key} `))
      ?.slice(key.length + 1)
      .trim();
  let tmp: ReturnType<typeof makeTempDir>;
  let n = 0;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => tmp.remove());

  const check = (t: string) => {
    const workDir = join(tmp.path, `haproxy-${n++}`);
    mkdirSync(workDir);
    const p = prepareHaproxy(t, {
      workDir,
      ports: { 18789: 38789 },
      upstreams: ['127.0.0.1:38001', '127.0.0.1:38002'],
    });
    return runTool(p.check.cmd, p.check.args, { env: p.check.env });
  };

  test('is valid as shipped, although the Compose service names do not resolve here', () => {
    const res = runTool('haproxy', ['-c', '-f', deployPath('haproxy', 'haproxy.cfg')]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /Configuration file is valid/);
  });

  test('adapted to loopback addresses it passes haproxy -c with warnings treated as errors', () => {
    const res = check(text);
    assert.equal(res.status, 0, res.output);
    assert.doesNotMatch(res.output, /WARNING|ALERT/, res.output);
  });

  test('haproxy -c rejects a broken copy (so a pass means something)', () => {
    const res = check(text.replace('timeout tunnel 1h', 'timeout tunnel forever'));
    assert.notEqual(res.status, 0);
    assert.match(res.output, /tunnel/);
  });

  test('keeps WebSocket tunnels open for an hour and bounds old processes after a reload', () => {
    const defaults = get('defaults');
    const ping = ConfigSchema.parse({}).gateway.websocket.ping_interval;
    for (const key of ['timeout tunnel', 'timeout client', 'timeout server']) {
      const v = value(defaults, key);
      assert.ok(v && seconds(v) >= 3600, `${key} ${v}`);
      assert.ok(seconds(v) > 2 * ping);
    }
    assert.ok(seconds(value(defaults, 'timeout connect') ?? '0') > 0);
    assert.equal(value(defaults, 'mode'), 'http');
    const hardStop = value(get('global'), 'hard-stop-after');
    assert.ok(hardStop && seconds(hardStop) > 0, 'hard-stop-after is set');
  });

  test('health-checks every gateway on /health (and /ready, to skip draining ones)', () => {
    const backend = get('backend openclaw-gateways');
    assert.ok(backend.includes('option httpchk'));
    const sends = backend.filter((l) => l.startsWith('http-check send'));
    assert.ok(
      sends.some((l) => /uri \/health\b/.test(l)),
      sends.join('\n'),
    );
    assert.ok(
      sends.some((l) => /uri \/ready\b/.test(l)),
      sends.join('\n'),
    );
    assert.equal(backend.filter((l) => l === 'http-check expect status 200').length, sends.length);
    const defaultServer = value(backend, 'default-server') ?? '';
    const servers = backend.filter((l) => l.startsWith('server '));
    assert.equal(servers.length, 2);
    for (const s of servers) {
      assert.match(s, /:18789\b/);
      assert.ok(/\bcheck\b/.test(s) || /\bcheck\b/.test(defaultServer), s);
      assert.match(s, /\bcookie \S+/);
    }
  });

  test('balances by least connections with a sticky cookie and forwards the client address', () => {
    const backend = get('backend openclaw-gateways');
    assert.equal(value(backend, 'balance'), 'leastconn');
    assert.match(value(backend, 'cookie') ?? '', /^GATEWAY_ID insert indirect nocache/);
    assert.ok(backend.includes('option forwardfor'));
    const frontend = get('frontend openclaw-frontend');
    assert.ok(frontend.includes('http-request del-header X-Forwarded-For'), 'client-sent XFF is dropped');
    assert.equal(value(frontend, 'bind'), '*:18789');
    assert.equal(value(frontend, 'default_backend'), 'openclaw-gateways');
  });
});
