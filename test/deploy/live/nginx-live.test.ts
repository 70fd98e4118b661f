/**
 * @module Live: the shipped nginx site (deploy/nginx/openclaw.conf) terminates TLS in front of a real
 * gateway and carries real WebSocket traffic: a node process connects through it, runs a task longer
 * than nginx's read timeout and stays connected thanks to the gateway's pings. The copy differs from
 * the shipped file only in ports, certificate paths and (to keep the test short) the 3600 s
 * WebSocket timeouts, shortened to 3 s while the gateway pings every 1 s: the same relation as
 * 3600 s against the default 30 s. Two variants show the test really exercises the proxy: a read
 * timeout below the ping interval drops idle connections, and without the Upgrade/Connection
 * headers the WebSocket handshake fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { GatewayClient } from '../../../src/client/index.js';
import { GatewayError } from '../../../src/protocol/index.js';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { readDeploy } from '../support/repo.js';
import { freePort, makeTempDir } from '../support/tools.js';
import { createSelfSignedCert, type TlsFiles } from '../support/tls.js';
import { prepareNginx } from '../support/proxy-harness.js';
import { startProxy, type RunningProxy } from '../support/proxy-process.js';
import { startLiveGateway, type LiveGateway } from '../support/live-gateway.js';
import { startLiveNode } from '../support/live-node.js';
import { failedLogin } from '../support/auth-probe.js';
import { nginxWithWebsocketTimeout, nginxWithoutUpgradeHeaders } from '../support/live-variants.js';

const PING_INTERVAL_S = 1;
const READ_TIMEOUT = '3s';
const TASK_SECONDS = 5;

interface NginxUnderTest {
  proxy: RunningProxy;
  https: number;
  http: number;
  wsUrl: string;
}

function get(
  url: string,
  ca?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? request : httpRequest)(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('nginx in front of a live gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let tls: TlsFiles;
  let ca: string;
  let gw: LiveGateway;
  const proxies: RunningProxy[] = [];
  let n = 0;

  /** Starts nginx with the given site text (already carrying any variant edits) in front of `gw`. */
  const startNginx = async (siteText: string): Promise<NginxUnderTest> => {
    const workDir = join(tmp.path, `nginx-${n++}`);
    mkdirSync(workDir);
    const [http, https] = [await freePort(), await freePort()];
    const prepared = prepareNginx(siteText, {
      workDir,
      ports: { 80: http, 443: https },
      upstreams: [`127.0.0.1:${gw.process.port}`],
      tls,
    });
    const proxy = await startProxy('nginx', prepared.run, { ports: [http, https] });
    proxies.push(proxy);
    return { proxy, http, https, wsUrl: `wss://127.0.0.1:${https}/ws` };
  };

  let main: NginxUnderTest;

  before(async () => {
    tmp = makeTempDir('openclaw-live-nginx-');
    tls = createSelfSignedCert(tmp.path);
    ca = readFileSync(tls.cert, 'utf8');
    gw = await startLiveGateway({
      config: {
        gateway: {
          trusted_proxies: ['127.0.0.1'],
          proxy_read_timeout: 3,
          websocket: { ping_interval: PING_INTERVAL_S, ping_timeout: 2 },
        },
      },
    });
    main = await startNginx(nginxWithWebsocketTimeout(readDeploy('nginx', 'openclaw.conf'), READ_TIMEOUT));
  });

  after(async () => {
    for (const p of proxies) await p.stop();
    await gw?.stop();
    tmp?.remove();
  });

  test('/health answers through the TLS proxy, and plain HTTP redirects to HTTPS', async () => {
    const res = await get(`https://127.0.0.1:${main.https}/health`, ca);
    assert.equal(res.status, 200, res.body);
    const body = JSON.parse(res.body) as { status: string; version: string };
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    assert.match(String(res.headers['strict-transport-security']), /max-age=63072000/);
    const plain = await get(`http://127.0.0.1:${main.http}/health`);
    assert.equal(plain.status, 301);
    assert.match(String(plain.headers.location), /^https:\/\/127\.0\.0\.1\/health$/);
  });

  test('a node on wss:// runs a task longer than the read timeout and stays connected thanks to pings', async () => {
    const nodeId = 'node-nginx-1';
    const node = await startLiveNode({
      gateway: main.wsUrl,
      nodeId,
      token: gw.token('node', nodeId),
      // The node's own pings are off: only the gateway's keep the connection busy for nginx.
      nodeYaml: {
        connection: { tls: { ca: tls.cert } },
        keepalive: { enabled: false },
        reconnect: { initial_delay_ms: 100, max_delay_ms: 1000 },
      },
    });
    try {
      await gw.process.waitForLog((l) => l.event === 'node_connected' && l.node_id === nodeId);
      const t0 = Date.now();
      const res = await runCli(
        [
          'task',
          'run',
          '--gateway',
          main.wsUrl,
          '--token',
          gw.token('operator'),
          '--skill',
          'shell',
          '--args',
          JSON.stringify({ command: `sleep ${TASK_SECONDS}; echo survived-the-proxy` }),
          '--json',
        ],
        cliEnv(tmp.path, { NODE_EXTRA_CA_CERTS: tls.cert }),
        60_000,
      );
      const elapsed = Date.now() - t0;
      assert.equal(res.code, 0, `task run failed:\n${res.stdout}\n${res.stderr}`);
      const task = JSON.parse(res.stdout) as {
        status: string;
        node_id: string;
        attempt: number;
        result: { stdout: string };
      };
      assert.equal(task.status, 'succeeded');
      assert.equal(task.node_id, nodeId);
      assert.equal(task.attempt, 1, 'the task ran once: its node never dropped');
      assert.match(task.result.stdout, /survived-the-proxy/);
      assert.ok(elapsed >= TASK_SECONDS * 1000, `the task took ${elapsed} ms`);
      assert.deepEqual(
        node.logs.filter((l) => l.event === 'node_reconnecting').map((l) => l.msg),
        [],
        'the node never lost its connection',
      );
      assert.deepEqual(
        gw.logsWhere((l) => l.event === 'node_disconnected' && l.node_id === nodeId),
        [],
      );
    } finally {
      await node.stop();
    }
  });

  test('with a read timeout below the ping interval, nginx cuts an idle WebSocket (the pings are what keep it)', async () => {
    const short = await startNginx(nginxWithWebsocketTimeout(readDeploy('nginx', 'openclaw.conf'), '500ms'));
    const measure = async (url: string) => {
      const client = new GatewayClient({
        url,
        role: 'operator',
        token: gw.token('operator'),
        tls: { ca },
        keepalive: { enabled: false },
        reconnect: { enabled: false },
      });
      await client.connect();
      const closed = new Promise<number>((resolve) =>
        client.once('disconnected', ({ code }) => resolve(code)),
      );
      const outcome = await Promise.race([
        closed.then((code) => ({ closed: true, code })),
        new Promise<{ closed: false }>((r) => setTimeout(() => r({ closed: false }), 2500)),
      ]);
      await client.close();
      return outcome;
    };
    const [kept, cut] = await Promise.all([measure(main.wsUrl), measure(short.wsUrl)]);
    assert.deepEqual(kept, { closed: false }, 'read timeout 3 s > ping interval 1 s: stays open');
    assert.equal(cut.closed, true, 'read timeout 500 ms < ping interval 1 s: nginx closes it');
  });

  test('X-Forwarded-For is believed from nginx (the trusted proxy) only', async () => {
    // The observable is the gateway's `auth_failed` log line, whose `remote` is the address the
    // gateway attributes a failed login to (and keys its auth throttle by).
    const forged = { 'X-Forwarded-For': '203.0.113.66' };
    const direct = `ws://127.0.0.1:${gw.process.port}/ws`;
    const codeDirect = await failedLogin(direct, { localAddress: '127.0.0.3', headers: forged });
    const codeProxied = await failedLogin(main.wsUrl, { localAddress: '127.0.0.4', headers: forged, ca });
    assert.equal(codeDirect, 4401);
    assert.equal(codeProxied, 4401);
    await gw.process.waitForLog((l) => l.event === 'auth_failed' && l.remote === '127.0.0.3');
    await gw.process.waitForLog((l) => l.event === 'auth_failed' && l.remote === '127.0.0.4');
    assert.deepEqual(
      gw.logsWhere((l) => l.event === 'auth_failed' && l.remote === '203.0.113.66'),
      [],
      'a forged X-Forwarded-For is never believed: not sent directly, and nginx overwrites it',
    );
  });

  test('without the Upgrade/Connection headers the WebSocket handshake fails with a clear error', async () => {
    const broken = await startNginx(
      nginxWithoutUpgradeHeaders(
        nginxWithWebsocketTimeout(readDeploy('nginx', 'openclaw.conf'), READ_TIMEOUT),
      ),
    );
    const client = new GatewayClient({
      url: broken.wsUrl,
      role: 'operator',
      token: gw.token('operator'),
      tls: { ca },
      reconnect: { enabled: false },
    });
    let err: unknown;
    try {
      await client.connect();
    } catch (e) {
      err = e;
    } finally {
      await client.close();
    }
    // The gateway recognises the handshake nginx turned into a plain GET and says why (HTTP 426).
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.code, 'GW_ERR_GATEWAY_UPGRADE_REQUIRED');
    assert.match(err.message, /without its Upgrade\/Connection headers: a reverse proxy/);
    assert.match(err.message, /proxy_set_header Upgrade \$http_upgrade/);
    // The CLI reports the same line and exits 3 (cannot reach the gateway), as crontab needs.
    const res = await runCli(
      [
        'task',
        'run',
        '--gateway',
        broken.wsUrl,
        '--token',
        gw.token('operator'),
        '--skill',
        'shell',
        '--args',
        '{"command":"true"}',
      ],
      cliEnv(tmp.path, { NODE_EXTRA_CA_CERTS: tls.cert }),
    );
    assert.equal(res.code, 3, res.stderr);
    assert.match(
      res.stderr,
      /^openclaw: WebSocket handshake at \/ws arrived without its Upgrade\/Connection headers: .* \[GW_ERR_GATEWAY_UPGRADE_REQUIRED\]$/m,
    );
  });
});
