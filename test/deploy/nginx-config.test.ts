/**
 * @module nginx configs (deploy/nginx/openclaw.conf and the Compose copy): `nginx -t` on the shipped
 * files adapted only in ports, upstream address and certificate paths, plus their WebSocket essentials.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/index.js';
import { readDeploy } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { createSelfSignedCert, type TlsFiles } from './support/tls.js';
import { prepareNginx } from './support/proxy-harness.js';
import {
  argsOf,
  children,
  nginxSeconds,
  parseNginx,
  proxyHeaders,
  type NginxDirective,
} from './support/nginx-config-parser.js';

const FILES = {
  host: ['nginx', 'openclaw.conf'],
  compose: ['docker', 'nginx', 'conf.d', 'openclaw.conf'],
} as const;
const defaults = ConfigSchema.parse({});

function servers(tree: NginxDirective[]) {
  const list = children(tree, 'server');
  const tlsServer = list.find((s) => children(s.block, 'listen').some((l) => l.args.includes('ssl')));
  const plain = list.find((s) => s !== tlsServer);
  assert.ok(tlsServer && plain, 'one TLS server and one plain HTTP server');
  return { tlsServer, plain };
}

function location(server: NginxDirective, path: string): NginxDirective {
  const loc = children(server.block, 'location').find((l) => l.args.at(-1) === path);
  assert.ok(loc, `location ${path}`);
  return loc;
}

describe('nginx configs', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let tls: TlsFiles;
  let n = 0;
  before(() => {
    tmp = makeTempDir();
    tls = createSelfSignedCert(tmp.path);
  });
  after(() => tmp.remove());

  const check = (text: string) => {
    const workDir = join(tmp.path, `nginx-${n++}`);
    mkdirSync(workDir);
    // nginx -t resolves upstream names, so the Compose service name must become an address too.
    // It does not bind its listeners, so fixed ports cannot collide with anything running.
    const prepared = prepareNginx(text, {
      workDir,
      ports: { 80: 18080 + n, 443: 18443 + n },
      upstreams: ['127.0.0.1:18789'],
      tls,
    });
    return runTool(prepared.check.cmd, prepared.check.args, { env: prepared.check.env });
  };

  for (const [name, path] of Object.entries(FILES)) {
    test(`${name} config passes nginx -t`, () => {
      const res = check(readDeploy(...path));
      assert.equal(res.status, 0, res.output);
      assert.doesNotMatch(res.output, /\[(warn|emerg|alert|crit)\]/, res.output);
    });
  }

  test('nginx -t rejects a broken copy (so a pass means something)', () => {
    const broken = readDeploy(...FILES.host).replace('proxy_buffering off;', 'proxy_buffering sideways;');
    const res = check(broken);
    assert.notEqual(res.status, 0);
    assert.match(res.output, /proxy_buffering/);
  });

  test('the Compose copy differs from the host config only in the upstream', () => {
    const strip = (t: string) => t.split('\n').filter((l) => !/^\s*#/.test(l));
    const host = strip(readDeploy(...FILES.host));
    const compose = strip(readDeploy(...FILES.compose));
    assert.equal(host.length, compose.length);
    const diff = host.flatMap((l, i) => (l === compose[i] ? [] : [[l.trim(), compose[i]?.trim()]]));
    assert.deepEqual(diff, [['server 127.0.0.1:18789;', 'server openclaw-gateway:18789;']]);
  });

  describe('structure', () => {
    const tree = parseNginx(readDeploy(...FILES.host));
    const { tlsServer, plain } = servers(tree);

    test('proxies to the gateway on 18789 with upstream keepalive', () => {
      const upstream = children(tree, 'upstream')[0];
      assert.deepEqual(argsOf(upstream?.block, 'server'), ['127.0.0.1:18789']);
      assert.ok(argsOf(upstream?.block, 'keepalive'));
      for (const loc of children(tlsServer.block, 'location')) {
        assert.equal(argsOf(loc.block, 'proxy_pass')?.[0], 'http://openclaw_gateway', loc.args.join(' '));
      }
      assert.deepEqual(argsOf(tlsServer.block, 'proxy_http_version'), ['1.1']);
    });

    test('redirects HTTP to HTTPS but serves the ACME challenge', () => {
      assert.deepEqual(argsOf(location(plain, '/').block, 'return'), ['301', 'https://$host$request_uri']);
      assert.deepEqual(argsOf(location(plain, '/.well-known/acme-challenge/').block, 'root'), [
        '/var/www/certbot',
      ]);
    });

    test('upgrades WebSockets on /ws and on / (the Web UI)', () => {
      const ws = proxyHeaders(location(tlsServer, '/ws').block);
      assert.equal(ws.get('upgrade'), '$http_upgrade');
      assert.equal(ws.get('connection'), 'upgrade');
      const root = proxyHeaders(location(tlsServer, '/').block);
      assert.equal(root.get('upgrade'), '$http_upgrade');
      const map = children(tree, 'map').find((m) => m.args[1] === `$${root.get('connection')?.slice(1)}`);
      assert.ok(map, 'Connection on / comes from a map of $http_upgrade');
      assert.equal(map.args[0], '$http_upgrade');
    });

    test('keeps WebSockets open well past the keepalive ping interval (seed 7.1: 3600 s)', () => {
      for (const path of ['/ws', '/']) {
        const block = location(tlsServer, path).block;
        for (const d of ['proxy_read_timeout', 'proxy_send_timeout']) {
          const secs = nginxSeconds(argsOf(block, d)?.[0] ?? '60s');
          assert.ok(secs >= 3600, `${path} ${d} ${secs}s`);
          assert.ok(secs > 2 * defaults.gateway.websocket.ping_interval);
        }
      }
      assert.deepEqual(argsOf(location(tlsServer, '/ws').block, 'proxy_buffering'), ['off']);
    });

    test('every proxied location forwards Host, X-Real-IP, X-Forwarded-For and -Proto itself', () => {
      // nginx drops server-level proxy_set_header in any location that sets one of its own.
      for (const loc of children(tlsServer.block, 'location')) {
        const h = proxyHeaders(loc.block);
        assert.equal(h.get('host'), '$host', loc.args.join(' '));
        assert.equal(h.get('x-real-ip'), '$remote_addr', loc.args.join(' '));
        assert.equal(
          h.get('x-forwarded-for'),
          '$remote_addr',
          `${loc.args.join(' ')}: edge proxy overwrites`,
        );
        assert.equal(h.get('x-forwarded-proto'), '$scheme', loc.args.join(' '));
      }
    });

    test('offers TLS 1.2+ only, HSTS, and bodies up to gateway.max_body_size', () => {
      assert.deepEqual(argsOf(tlsServer.block, 'ssl_protocols'), ['TLSv1.2', 'TLSv1.3']);
      const hsts = children(tlsServer.block, 'add_header').find(
        (h) => h.args[0] === 'Strict-Transport-Security',
      );
      assert.ok(hsts);
      const body = argsOf(tlsServer.block, 'client_max_body_size')?.[0] ?? '1m';
      assert.ok(Number(body.replace(/m$/, '')) * 1024 * 1024 >= defaults.gateway.max_body_size);
      assert.match(argsOf(tlsServer.block, 'ssl_certificate')?.[0] ?? '', /^\/etc\/letsencrypt\/live\//);
    });

    test('serves /health and /ready, and never exposes /metrics', () => {
      location(tlsServer, '/health');
      location(tlsServer, '/ready');
      assert.ok(!children(tlsServer.block, 'location').some((l) => l.args.at(-1)?.startsWith('/metrics')));
      assert.ok(!readDeploy(...FILES.host).match(/^[^#]*9090/m), 'the metrics port is not proxied');
    });
  });
});
