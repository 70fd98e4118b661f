/**
 * @module deploy/caddy/Caddyfile: `caddy validate` on the file adapted only in ports and certificate
 * paths, and its JSON form (`caddy adapt`) checked for what WebSocket proxying to the gateway needs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/index.js';
import { deployPath, readDeploy } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { createSelfSignedCert, type TlsFiles } from './support/tls.js';
import { prepareCaddy } from './support/proxy-harness.js';

interface Handler {
  handler: string;
  routes?: Route[];
  upstreams?: Array<{ dial: string }>;
  transport?: { read_timeout?: number; write_timeout?: number };
  max_size?: number;
  response?: { set?: Record<string, string[]> };
  headers?: unknown;
}
interface Route {
  match?: Array<{ host?: string[]; path?: string[] }>;
  handle?: Handler[];
}

/** Every handler in a route tree, with the path matchers on the way to it. */
function handlers(routes: Route[], paths: string[] = []): Array<{ h: Handler; paths: string[] }> {
  return routes.flatMap((r) => {
    const p = [...paths, ...(r.match ?? []).flatMap((m) => m.path ?? [])];
    return (r.handle ?? []).flatMap((h) => [{ h, paths: p }, ...handlers(h.routes ?? [], p)]);
  });
}

const NS_PER_S = 1e9;

describe('Caddyfile', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let tls: TlsFiles;
  let n = 0;
  before(() => {
    tmp = makeTempDir();
    tls = createSelfSignedCert(tmp.path);
  });
  after(() => tmp.remove());

  const validate = (text: string) => {
    const workDir = join(tmp.path, `caddy-${n++}`);
    mkdirSync(workDir);
    const prepared = prepareCaddy(text, { workDir, ports: { 80: 28080, 443: 28443 }, tls });
    return runTool(prepared.check.cmd, prepared.check.args, { env: prepared.check.env });
  };

  test('passes caddy validate, formatted as caddy fmt would', () => {
    const res = validate(readDeploy('caddy', 'Caddyfile'));
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /Valid configuration/);
    assert.doesNotMatch(res.output, /not formatted/, res.output);
  });

  test('caddy validate rejects a broken copy (so a pass means something)', () => {
    const res = validate(readDeploy('caddy', 'Caddyfile').replace('read_timeout 1h', 'read_timeout soon'));
    assert.notEqual(res.status, 0);
    assert.match(res.output, /read_timeout|duration/i);
  });

  describe('adapted JSON', () => {
    let site: Handler[] = [];
    let all: Array<{ h: Handler; paths: string[] }> = [];
    let json: { apps: { http: { servers: Record<string, { listen: string[]; routes: Route[] }> } } };
    before(() => {
      const res = runTool(
        'caddy',
        ['adapt', '--config', deployPath('caddy', 'Caddyfile'), '--adapter', 'caddyfile'],
        {
          env: {
            HOME: tmp.path,
            XDG_DATA_HOME: join(tmp.path, 'xdg'),
            XDG_CONFIG_HOME: join(tmp.path, 'xdg'),
          },
        },
      );
      assert.equal(res.status, 0, res.output);
      json = JSON.parse(res.stdout) as typeof json;
      const server = Object.values(json.apps.http.servers)[0];
      assert.ok(server);
      assert.deepEqual(server.listen, [':443']);
      const route = server.routes.find((r) => r.match?.some((m) => m.host?.includes('gateway.example.com')));
      assert.ok(route, 'a site for gateway.example.com');
      site = route.handle ?? [];
      all = handlers([route]);
    });

    test('proxies /ws and everything else to the gateway on 18789', () => {
      const proxies = all.filter((x) => x.h.handler === 'reverse_proxy');
      assert.equal(proxies.length, 2);
      for (const p of proxies) assert.deepEqual(p.h.upstreams, [{ dial: '127.0.0.1:18789' }]);
      assert.deepEqual(
        proxies.map((p) => p.paths),
        [['/ws'], []],
      );
    });

    test('keeps idle WebSockets open for an hour (seed 7.2), far beyond the ping interval', () => {
      const ping = ConfigSchema.parse({}).gateway.websocket.ping_interval;
      for (const p of all.filter((x) => x.h.handler === 'reverse_proxy')) {
        const rt = (p.h.transport?.read_timeout ?? 0) / NS_PER_S;
        const wt = (p.h.transport?.write_timeout ?? 0) / NS_PER_S;
        assert.ok(rt >= 3600 && wt >= 3600, `read ${rt}s write ${wt}s`);
        assert.ok(rt > 2 * ping);
      }
    });

    test('sets no Upgrade/Connection header by hand (Caddy handles upgrades; {http.upgrade} does not exist)', () => {
      assert.doesNotMatch(JSON.stringify(json), /http\.upgrade|"Upgrade"|"Connection"/);
    });

    test('accepts REST bodies up to gateway.max_body_size and sends HSTS', () => {
      const body = all.find((x) => x.h.handler === 'request_body');
      assert.ok((body?.h.max_size ?? 0) >= ConfigSchema.parse({}).gateway.max_body_size);
      const headers = all.find((x) => x.h.handler === 'headers');
      assert.ok(headers?.h.response?.set?.['Strict-Transport-Security']);
      assert.ok(site.length > 0);
    });
  });
});
