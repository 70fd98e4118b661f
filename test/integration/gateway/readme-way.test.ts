/**
 * @module The gateway started the way the README and the seed say, and the CLI commands that talk to
 * it: `gateway health|status` (exit 0 / 3) and `doctor` (pass on a fresh HOME, fail with a fix line).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cliEnv, runCli, startGatewayProcess, tempHome } from '../../support/gateway-process.js';
import { Cleanup, freePort, holdPort, randomSecret } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

function home(): string {
  const h = tempHome('openclaw-readme-it-');
  cleanup.add(h.cleanup);
  return h.home;
}

describe('started as the README says', () => {
  const secret = randomSecret();
  let port: number;
  let h: string;
  before(async () => {
    h = home();
    port = await freePort();
    // OPENCLAW_HEADLESS=true OPENCLAW_GATEWAY_HOST=0.0.0.0 OPENCLAW_GATEWAY_PORT=<port>
    // OPENCLAW_AUTH_SECRET=<secret> openclaw gateway start --headless
    const gw = await startGatewayProcess({
      home: h,
      env: {
        OPENCLAW_HEADLESS: 'true',
        OPENCLAW_GATEWAY_HOST: '0.0.0.0',
        OPENCLAW_GATEWAY_PORT: String(port),
        OPENCLAW_AUTH_SECRET: secret,
      },
    });
    cleanup.add(() => gw.stop('SIGKILL'));
    assert.equal(gw.port, port);
    assert.ok(
      gw.logs.some((l) => l.event === 'public_bind'),
      'a 0.0.0.0 bind is warned about',
    );
  });

  test('GET /health answers 200 ok and /ready 200', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; version: string };
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok' });
  });

  test('`openclaw gateway health --url ws://127.0.0.1:<port>/ws` exits 0', async () => {
    const env = cliEnv(home(), { OPENCLAW_AUTH_SECRET: secret });
    const r = await runCli(['gateway', 'health', '--url', `ws://127.0.0.1:${port}/ws`], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok \(version .*\) at ws:\/\/127\.0\.0\.1:\d+\/ws/);
    const json = await runCli(['gateway', 'health', '--url', `http://127.0.0.1:${port}`, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).status, 'ok');
  });

  test('a token from `token create` on another machine with the same secret works with --token', async () => {
    const env = cliEnv(home(), { OPENCLAW_AUTH_SECRET: secret });
    const made = await runCli(['token', 'create', '--role', 'operator', '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    const token = JSON.parse(made.stdout).token as string;
    const bare = cliEnv(home());
    const r = await runCli(
      ['gateway', 'health', '--url', `ws://127.0.0.1:${port}/ws`, '--token', token],
      bare,
    );
    assert.equal(r.code, 0, r.stderr);
    const bad = await runCli(
      ['gateway', 'health', '--url', `ws://127.0.0.1:${port}/ws`, '--token', 'oc1.bad.token'],
      bare,
    );
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /GW_ERR_AUTH_INVALID/);
    assert.ok(!bad.stderr.includes('oc1.bad.token'), 'the token is not echoed');
  });

  test('`gateway status --json` reports ready, version, id and the local node', async () => {
    const r = await runCli(
      ['gateway', 'status', '--json'],
      cliEnv(h, { OPENCLAW_AUTH_SECRET: secret, OPENCLAW_GATEWAY_PORT: String(port) }),
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(s.ready, 'ok');
    assert.equal(s.url, `ws://127.0.0.1:${port}/ws`);
    assert.equal(typeof s.version, 'string');
    assert.equal(typeof s.gateway_id, 'string');
    assert.equal(s.nodes, 1, 'the built-in local node is connected');
  });

  test('doctor passes while our own gateway holds the port', async () => {
    const r = await runCli(
      ['doctor'],
      cliEnv(h, { OPENCLAW_AUTH_SECRET: secret, OPENCLAW_GATEWAY_PORT: String(port) }),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[PASS\] gateway port: .* held by a running OpenClaw gateway/);
  });
});

describe('CLI against nothing, and doctor', () => {
  test('`gateway health` and `gateway status` against a closed port exit 3 with one line', async () => {
    const port = await freePort();
    const env = cliEnv(home(), { OPENCLAW_AUTH_SECRET: randomSecret() });
    for (const cmd of ['health', 'status']) {
      const r = await runCli(['gateway', cmd, '--url', `ws://127.0.0.1:${port}/ws`], env);
      assert.equal(r.code, 3, `${cmd}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /cannot reach the gateway at .*127\.0\.0\.1:\d+.*GW_ERR_GATEWAY_UNREACHABLE/);
    }
  });

  test('doctor passes on a fresh HOME', async () => {
    const port = await freePort();
    const r = await runCli(['doctor'], cliEnv(home(), { OPENCLAW_GATEWAY_PORT: String(port) }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const check of ['config', 'bind safety', 'gateway port', 'data dir', 'auth']) {
      assert.match(r.stdout, new RegExp(`^\\[PASS\\] ${check}: `, 'm'), check);
    }
    assert.doesNotMatch(r.stdout, /\[FAIL\]/);
  });

  test('doctor fails (exit 1) with a fix line when the port is held by something else', async () => {
    const { port } = await holdPort(cleanup);
    const env = cliEnv(home(), { OPENCLAW_GATEWAY_PORT: String(port) });
    const r = await runCli(['doctor'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^\\[FAIL\\] gateway port: 127\\.0\\.0\\.1:${port} is in use by another process$`, 'm'),
    );
    assert.match(r.stdout, /^ {7}fix: stop it .*ss -tlnp \| grep \d+.* or choose another port/m);
    const json = await runCli(['doctor', '--json'], env);
    assert.equal(json.code, 1);
    const out = JSON.parse(json.stdout) as {
      ok: boolean;
      checks: Array<{ name: string; status: string; fix?: string }>;
    };
    assert.equal(out.ok, false);
    const portCheck = out.checks.find((c) => c.name === 'gateway port');
    assert.equal(portCheck?.status, 'fail');
    assert.ok(portCheck?.fix);
  });

  test('doctor fails on an invalid config with the config line and a fix', async () => {
    const h = home();
    const r = await runCli(['doctor'], cliEnv(h, { OPENCLAW_GATEWAY_PORT: 'abc' }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[FAIL\] config: .*OPENCLAW_GATEWAY_PORT="abc"/m);
    assert.match(r.stdout, /fix: /);
  });
});
