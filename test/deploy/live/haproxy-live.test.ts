/**
 * @module Live: the shipped HAProxy config (deploy/haproxy/haproxy.cfg) in front of one real
 * gateway. The copy differs only in the bind port, the server addresses (gateway-1 is the gateway,
 * gateway-2 a closed loopback port, so the health checks have something to fail on), an admin
 * socket to read the check results, and maxconn where the host's file limit cannot cover it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient } from '../../../src/client/index.js';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { readDeploy } from '../support/repo.js';
import { freePort, hardFileLimit, makeTempDir } from '../support/tools.js';
import { prepareHaproxy } from '../support/proxy-harness.js';
import { startProxy, type RunningProxy } from '../support/proxy-process.js';
import { startLiveGateway, type LiveGateway } from '../support/live-gateway.js';
import { haproxyServers, type HaproxyServerState } from '../support/haproxy-stats.js';
import { failedLogin } from '../support/auth-probe.js';
import { haproxyWithinFdLimit, haproxyWithStatsSocket } from '../support/live-variants.js';

describe('HAProxy in front of a live gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: LiveGateway;
  let haproxy: RunningProxy;
  let socket = '';
  let port = 0;
  let settled: HaproxyServerState[] = [];

  before(async () => {
    tmp = makeTempDir('openclaw-live-haproxy-');
    gw = await startLiveGateway({ config: { gateway: { trusted_proxies: ['127.0.0.1'] } } });
    const workDir = join(tmp.path, 'haproxy');
    mkdirSync(workDir);
    socket = join(workDir, 'admin.sock');
    port = await freePort();
    const closed = await freePort();
    const text = haproxyWithStatsSocket(
      haproxyWithinFdLimit(readDeploy('haproxy', 'haproxy.cfg'), hardFileLimit()),
      socket,
    );
    const prepared = prepareHaproxy(text, {
      workDir,
      ports: { 18789: port },
      upstreams: [`127.0.0.1:${gw.process.port}`, `127.0.0.1:${closed}`],
    });
    haproxy = await startProxy('haproxy', prepared.run, { ports: [port] });
    // The first checks run within one `inter` (5 s) of start-up, spread over the servers.
    const deadline = Date.now() + 12_000;
    for (;;) {
      settled = await haproxyServers(socket);
      const done = settled.every((s) => s.checkStatus !== '' && !s.checkStatus.startsWith('INI'));
      if (done || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await haproxy?.stop();
    await gw?.stop();
    tmp?.remove();
  });

  test('health checks on /health and /ready mark the gateway UP and a dead server DOWN', () => {
    const byName = new Map(settled.map((s) => [s.server, s]));
    const live = byName.get('gateway-1');
    const dead = byName.get('gateway-2');
    assert.ok(live && dead, JSON.stringify(settled));
    assert.equal(live.status, 'UP', JSON.stringify(live));
    assert.equal(live.checkStatus, 'L7OK', 'both HTTP checks answered 200');
    assert.equal(live.checkCode, '200');
    assert.equal(dead.status, 'DOWN', JSON.stringify(dead));
    assert.match(dead.checkStatus, /^L4/, 'the closed port fails at layer 4');
    assert.match(haproxy.output(), /gateway-2 is DOWN/);
  });

  test('/health passes through, with the GATEWAY_ID stickiness cookie of gateway-1', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
    assert.match(res.headers.get('set-cookie') ?? '', /^GATEWAY_ID=gw1;.*HttpOnly/i);
  });

  test('a WebSocket client upgrades through HAProxy and runs health', async () => {
    const client = new GatewayClient({
      url: `ws://127.0.0.1:${port}/ws`,
      role: 'operator',
      token: gw.token('operator'),
      reconnect: { enabled: false },
    });
    try {
      const info = await client.connect();
      assert.equal(info.role, 'operator');
      assert.equal(((await client.request('health', {})) as { status: string }).status, 'ok');
    } finally {
      await client.close();
    }
    const cli = await runCli(
      ['gateway', 'health', '--url', `ws://127.0.0.1:${port}/ws`, '--token', gw.token('operator')],
      cliEnv(tmp.path),
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^ok \(version /);
  });

  test('HAProxy drops a client-sent X-Forwarded-For and forwards the real client address', async () => {
    const code = await failedLogin(`ws://127.0.0.1:${port}/ws`, {
      localAddress: '127.0.0.6',
      headers: { 'X-Forwarded-For': '192.0.2.99' },
    });
    assert.equal(code, 4401);
    await gw.process.waitForLog((l) => l.event === 'auth_failed' && l.remote === '127.0.0.6');
    assert.deepEqual(
      gw.logsWhere((l) => l.event === 'auth_failed' && l.remote === '192.0.2.99'),
      [],
    );
  });
});
