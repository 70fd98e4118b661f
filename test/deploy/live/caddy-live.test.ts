/**
 * @module Live: the shipped Caddyfile (deploy/caddy/Caddyfile) in front of a real gateway, adapted
 * only in ports, the certificate (a self-signed one for gateway.example.com instead of ACME) and its
 * 1 h timeouts (3 s here, against the gateway's 1 s pings: the same relation as 1 h against 30 s).
 * Clients connect by the site's own name, gateway.example.com, which the test resolves to 127.0.0.1,
 * so Caddy's host matching and SNI work exactly as in production.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { GatewayClient } from '../../../src/client/index.js';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { readDeploy } from '../support/repo.js';
import { freePort, makeTempDir } from '../support/tools.js';
import { createSelfSignedCert, type TlsFiles } from '../support/tls.js';
import { prepareCaddy } from '../support/proxy-harness.js';
import { startProxy, type RunningProxy } from '../support/proxy-process.js';
import { startLiveGateway, type LiveGateway } from '../support/live-gateway.js';
import { startLiveNode } from '../support/live-node.js';
import { failedLogin } from '../support/auth-probe.js';
import { loopbackPreload, resolveToLoopback } from '../support/loopback-dns.js';
import { caddyWithTimeout } from '../support/live-variants.js';

const SITE = 'gateway.example.com';
const TASK_SECONDS = 5;

describe('Caddy in front of a live gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let tls: TlsFiles;
  let ca: string;
  let gw: LiveGateway;
  let caddy: RunningProxy;
  let https = 0;
  let wsUrl = '';
  let preload = '';
  let restoreDns = () => {};

  before(async () => {
    tmp = makeTempDir('openclaw-live-caddy-');
    tls = createSelfSignedCert(tmp.path, SITE);
    ca = readFileSync(tls.cert, 'utf8');
    restoreDns = resolveToLoopback([SITE]);
    preload = loopbackPreload(tmp.path, [SITE]);
    gw = await startLiveGateway({
      config: {
        gateway: {
          trusted_proxies: ['127.0.0.1'],
          proxy_read_timeout: 3,
          websocket: { ping_interval: 1, ping_timeout: 2 },
        },
      },
    });
    const workDir = join(tmp.path, 'caddy');
    mkdirSync(workDir);
    const http = await freePort();
    https = await freePort();
    const prepared = prepareCaddy(caddyWithTimeout(readDeploy('caddy', 'Caddyfile'), '3s'), {
      workDir,
      ports: { 80: http, 443: https },
      upstreams: [`127.0.0.1:${gw.process.port}`],
      tls,
    });
    caddy = await startProxy('caddy', prepared.run, { ports: [http, https], timeoutMs: 20_000 });
    wsUrl = `wss://${SITE}:${https}/ws`;
  });

  after(async () => {
    restoreDns();
    await caddy?.stop();
    await gw?.stop();
    tmp?.remove();
  });

  test('/health answers through Caddy, with the security headers of the Caddyfile', async () => {
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        request(`https://${SITE}:${https}/health`, { ca }, (r) => {
          let body = '';
          r.on('data', (d: Buffer) => (body += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
        })
          .on('error', reject)
          .end();
      },
    );
    assert.equal(res.status, 200, res.body);
    assert.equal((JSON.parse(res.body) as { status: string }).status, 'ok');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers.server, undefined, 'the Server header is removed');
  });

  test('an operator client speaks the protocol over wss:// through Caddy (health)', async () => {
    const client = new GatewayClient({
      url: wsUrl,
      role: 'operator',
      token: gw.token('operator'),
      tls: { ca },
      reconnect: { enabled: false },
    });
    try {
      const info = await client.connect();
      assert.equal(info.role, 'operator');
      assert.equal(info.policy.ping_interval_ms, 1000);
      const health = (await client.request('health', {})) as { status: string };
      assert.equal(health.status, 'ok');
    } finally {
      await client.close();
    }
  });

  test('a node connected through Caddy runs a task longer than the proxy timeout without dropping', async () => {
    const nodeId = 'node-caddy-1';
    const node = await startLiveNode({
      gateway: wsUrl,
      nodeId,
      token: gw.token('node', nodeId),
      nodeYaml: {
        connection: { tls: { ca: tls.cert } },
        keepalive: { enabled: false },
        reconnect: { initial_delay_ms: 100, max_delay_ms: 1000 },
      },
      env: { NODE_OPTIONS: preload },
    });
    try {
      await gw.process.waitForLog((l) => l.event === 'node_connected' && l.node_id === nodeId);
      const res = await runCli(
        [
          'task',
          'run',
          '--gateway',
          wsUrl,
          '--token',
          gw.token('operator'),
          '--skill',
          'shell',
          '--args',
          JSON.stringify({ command: `sleep ${TASK_SECONDS}; echo via-caddy` }),
          '--json',
        ],
        cliEnv(tmp.path, { NODE_EXTRA_CA_CERTS: tls.cert, NODE_OPTIONS: preload }),
        60_000,
      );
      assert.equal(res.code, 0, `task run failed:\n${res.stdout}\n${res.stderr}`);
      const task = JSON.parse(res.stdout) as {
        status: string;
        node_id: string;
        attempt: number;
        result: { stdout: string };
      };
      assert.equal(task.node_id, nodeId);
      assert.equal(task.attempt, 1);
      assert.match(task.result.stdout, /via-caddy/);
      assert.deepEqual(
        node.logs.filter((l) => l.event === 'node_reconnecting'),
        [],
      );
      assert.deepEqual(
        gw.logsWhere((l) => l.event === 'node_disconnected' && l.node_id === nodeId),
        [],
      );
    } finally {
      await node.stop();
    }
  });

  test('with read/write timeouts below the ping interval, Caddy cuts an idle WebSocket (the pings keep it)', async () => {
    const workDir = join(tmp.path, 'caddy-short');
    mkdirSync(workDir);
    const [http2, https2] = [await freePort(), await freePort()];
    const prepared = prepareCaddy(caddyWithTimeout(readDeploy('caddy', 'Caddyfile'), '500ms'), {
      workDir,
      ports: { 80: http2, 443: https2 },
      upstreams: [`127.0.0.1:${gw.process.port}`],
      tls,
    });
    const short = await startProxy('caddy', prepared.run, { ports: [http2, https2], timeoutMs: 20_000 });
    try {
      const idleFor = async (url: string) => {
        const client = new GatewayClient({
          url,
          role: 'operator',
          token: gw.token('operator'),
          tls: { ca },
          keepalive: { enabled: false },
          reconnect: { enabled: false },
        });
        await client.connect();
        const closed = new Promise<boolean>((r) => client.once('disconnected', () => r(true)));
        const cut = await Promise.race([
          closed,
          new Promise<boolean>((r) => setTimeout(() => r(false), 2500)),
        ]);
        await client.close();
        return cut;
      };
      const [keptCut, shortCut] = await Promise.all([idleFor(wsUrl), idleFor(`wss://${SITE}:${https2}/ws`)]);
      assert.equal(keptCut, false, 'timeout 3 s > ping interval 1 s: stays open');
      assert.equal(shortCut, true, 'timeout 500 ms < ping interval 1 s: Caddy closes it');
    } finally {
      await short.stop();
    }
  });

  test('Caddy replaces a client-sent X-Forwarded-For with the real client address', async () => {
    const code = await failedLogin(wsUrl, {
      localAddress: '127.0.0.5',
      headers: { 'X-Forwarded-For': '198.51.100.23' },
      ca,
    });
    assert.equal(code, 4401);
    await gw.process.waitForLog((l) => l.event === 'auth_failed' && l.remote === '127.0.0.5');
    assert.deepEqual(
      gw.logsWhere((l) => l.event === 'auth_failed' && l.remote === '198.51.100.23'),
      [],
    );
  });
});
