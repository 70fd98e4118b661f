/**
 * @module Start-up refusals and safe defaults of the real CLI: a port in use, `auth.mode: none` beyond
 * loopback, and the generated secret (0600) in a private data dir that local CLI commands find.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { cliEnv, runCli, startGatewayProcess, tempHome } from '../../support/gateway-process.js';
import { Cleanup, RawClient, holdPort, refusedUpgrade, writeHomeConfig } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

function home(): string {
  const h = tempHome('openclaw-start-it-');
  cleanup.add(h.cleanup);
  return h.home;
}

/** A raw POST to 127.0.0.1 with exactly the given headers (fetch would not let Host be set). */
function post(
  port: number,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/tasks', method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Exit code 2 and exactly one line on stderr that matches. */
function assertOneLineExit2(r: { code: number | null; stderr: string; stdout: string }, re: RegExp): void {
  assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}

describe('a port already in use', () => {
  test('the gateway port held by a plain TCP server: exit 2 and one clear line', async () => {
    const { port } = await holdPort(cleanup);
    const h = home();
    const r = await runCli(['gateway', 'start', '--headless', '--port', String(port)], cliEnv(h), 15_000);
    assertOneLineExit2(r, new RegExp(`^openclaw: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.match(r.stderr, /GW_ERR_CONFIG_PORT_IN_USE/);
  });

  test('the metrics port held: exit 2 naming metrics.port', async () => {
    const { port } = await holdPort(cleanup);
    const h = home();
    const r = await runCli(
      ['gateway', 'start', '--headless'],
      cliEnv(h, { OPENCLAW_GATEWAY_PORT: '0', OPENCLAW_METRICS_PORT: String(port) }),
      15_000,
    );
    assertOneLineExit2(
      r,
      new RegExp(`metrics port ${port} on 127\\.0\\.0\\.1 is already in use.*metrics\\.port`),
    );
  });
});

describe('gateway.auth.mode: none', () => {
  test('refused at start on a non-loopback bind (0.0.0.0, ::), with a clear message', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const h = home();
      writeHomeConfig(h, 'gateway:\n  auth:\n    mode: none\n');
      const r = await runCli(
        ['gateway', 'start', '--headless'],
        cliEnv(h, { OPENCLAW_GATEWAY_HOST: host, OPENCLAW_GATEWAY_PORT: '0' }),
        15_000,
      );
      assertOneLineExit2(
        r,
        /gateway\.auth\.mode = "none" is only allowed on a loopback bind, but gateway\.host is .*; use gateway\.auth\.mode: token/,
      );
      assert.ok(r.stderr.includes(host), host);
    }
  });

  test('on loopback it starts and a client without any token connects and is served', async () => {
    const h = home();
    writeHomeConfig(h, 'gateway:\n  auth:\n    mode: none\n');
    const gw = await startGatewayProcess({ home: h });
    cleanup.add(() => gw.stop('SIGKILL'));
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const hello = await c.connect();
    assert.equal(hello.ok, true, JSON.stringify(hello));
    assert.equal((await c.request('health', {})).payload.status, 'ok');
    assert.equal((await c.request('task.list', {})).ok, true);
    c.close();
    const api = await fetch(`${gw.httpUrl}/api/tasks`);
    assert.equal(api.status, 200);

    // Without auth, what a web page can forge must be refused: a cross-site "simple" POST (no
    // preflight) would otherwise run a shell task, and a rebound DNS name would pass as same-origin.
    const body = JSON.stringify({ skill: 'echo', args: { message: 'csrf' }, async: true });
    const csrf = await post(gw.port, { 'content-type': 'text/plain', origin: 'https://evil.example' }, body);
    assert.equal(csrf.status, 403, csrf.text);
    assert.equal(JSON.parse(csrf.text).error.code, 'GW_ERR_AUTH_ORIGIN_FORBIDDEN');
    const rebound = { origin: `http://evil.example:${gw.port}`, host: `evil.example:${gw.port}` };
    const viaRebinding = await post(gw.port, { 'content-type': 'application/json', ...rebound }, body);
    assert.equal(viaRebinding.status, 403, viaRebinding.text);
    assert.match(JSON.parse(viaRebinding.text).error.message, /not a loopback name/);
    const ws = await refusedUpgrade(gw.wsUrl, { origin: rebound.origin, headers: { host: rebound.host } });
    assert.equal(ws.status, 403);
    assert.match(String(ws.body?.error?.message), /host evil\.example:\d+ is not a loopback name/);
    const list = await fetch(`${gw.httpUrl}/api/tasks`);
    assert.deepEqual(((await list.json()) as { tasks: unknown[] }).tasks, [], 'no forged task was created');
    // The Web UI itself (same origin, loopback Host) still works.
    const own = await post(
      gw.port,
      {
        'content-type': 'application/json',
        origin: `http://localhost:${gw.port}`,
        host: `localhost:${gw.port}`,
      },
      body,
    );
    assert.equal(own.status, 202, own.text);
    assert.equal((await gw.stop()).code, 0);
  });
});

describe('the generated secret', () => {
  test('auth.secret is 0600 in a 0700 data dir, even under umask 000, and the CLI on that HOME needs no token', async () => {
    const h = home();
    // The child inherits this umask: a permissive one must not loosen the modes.
    const saved = process.umask(0o000);
    let gw;
    try {
      gw = await startGatewayProcess({ home: h });
    } finally {
      process.umask(saved);
    }
    cleanup.add(() => gw.stop('SIGKILL'));
    const dataDir = join(h, '.openclaw', 'data');
    assert.equal(statSync(join(dataDir, 'auth.secret')).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.ok(gw.logs.some((l) => l.event === 'auth_secret_generated'));

    const env = cliEnv(h, { OPENCLAW_GATEWAY_PORT: String(gw.port) });
    const health = await runCli(['gateway', 'health', '--json'], env);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(JSON.parse(health.stdout).status, 'ok');
    // A token made by the CLI on the same HOME is accepted by the gateway.
    const made = await runCli(['token', 'create', '--role', 'operator', '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    const c = await RawClient.open(gw.wsUrl, cleanup);
    assert.equal((await c.connect({ auth: { token: JSON.parse(made.stdout).token } })).ok, true);
    c.close();

    // Another HOME (another secret) is refused: the local secret is what made it work.
    const other = home();
    const refused = await runCli(
      ['gateway', 'health'],
      cliEnv(other, { OPENCLAW_GATEWAY_PORT: String(gw.port) }),
    );
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /GW_ERR_AUTH_/);

    // The secret survives a restart, so tokens issued before it stay valid.
    assert.equal((await gw.stop()).code, 0);
    const again = await startGatewayProcess({ home: h });
    cleanup.add(() => again.stop('SIGKILL'));
    assert.ok(!again.logs.some((l) => l.event === 'auth_secret_generated'));
    const c2 = await RawClient.open(again.wsUrl, cleanup);
    assert.equal((await c2.connect({ auth: { token: JSON.parse(made.stdout).token } })).ok, true);
    c2.close();
    assert.equal((await again.stop()).code, 0);
  });
});
