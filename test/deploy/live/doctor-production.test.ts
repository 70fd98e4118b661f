/**
 * @module `openclaw doctor --production` against real gateways on this machine: one set up as the
 * checklist wants (loopback behind a trusted proxy, strong secret, keys from the environment), one
 * bound to 0.0.0.0 with a weak secret and an API key written into config.yaml. The exposure check
 * connects only to this machine's own non-loopback addresses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { hardFileLimit } from '../support/tools.js';
import { startLiveGateway, type LiveGateway } from '../support/live-gateway.js';

interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const external = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .filter((i) => !i.internal && !/^fe80:/i.test(i.address))
  .map((i) => i.address);
const isRoot = process.getuid?.() === 0;

/** doctor --production as the gateway's own operator would run it: same HOME, secret and ports. */
async function doctor(gw: LiveGateway, extraArgs: string[] = ['--json']) {
  const metricsPort = gw.process.metricsUrl ? new URL(gw.process.metricsUrl).port : '0';
  const env = cliEnv(gw.home, {
    OPENCLAW_AUTH_SECRET: gw.secret,
    OPENCLAW_GATEWAY_PORT: String(gw.process.port),
    OPENCLAW_METRICS_PORT: metricsPort,
  });
  return runCli(['doctor', '--production', ...extraArgs], env, 60_000);
}

function byName(stdout: string): Map<string, Check> {
  const body = JSON.parse(stdout) as { ok: boolean; checks: Check[] };
  return new Map(
    body.checks.filter((c) => c.name.startsWith('production: ')).map((c) => [c.name.slice(12), c]),
  );
}

describe('openclaw doctor --production on live gateways', () => {
  let good: LiveGateway;
  let bad: LiveGateway;
  before(async () => {
    [good, bad] = await Promise.all([
      startLiveGateway({ config: { gateway: { trusted_proxies: ['127.0.0.1'] } } }),
      startLiveGateway({
        secret: 'abababababababababababab',
        config: {
          gateway: { host: '0.0.0.0' },
          llm: { providers: { openai: { api_key: 'sk-literal-in-config' } } },
        },
      }),
    ]);
  });
  after(async () => {
    await good?.stop();
    await bad?.stop();
  });

  test('a gateway on loopback behind a trusted proxy passes the network, TLS, secret, data dir and keys checks', async () => {
    const res = await doctor(good);
    const c = byName(res.stdout);
    for (const name of ['bind', 'auth', 'tls', 'secret', 'data dir', 'exposure', 'keys'])
      assert.equal(c.get(name)?.status, 'pass', `${name}: ${JSON.stringify(c.get(name))}`);
    assert.match(c.get('secret')!.detail, /from OPENCLAW_AUTH_SECRET: 64 characters/);
    assert.match(c.get('exposure')!.detail, external.length ? /do not answer on/ : /no non-loopback address/);
    // The user and open-file checks look at the running gateway process itself (found via /proc).
    const user = c.get('user')!;
    assert.match(user.detail, new RegExp(`the gateway on port ${good.process.port} runs as`));
    assert.equal(user.status, isRoot ? 'fail' : 'pass');
    const files = c.get('open files')!;
    assert.match(files.detail, /the running gateway \(pid \d+\)/);
    // The gateway's soft limit cannot exceed the hard limit it inherited from this test.
    if (hardFileLimit() < 65536) assert.equal(files.status, 'warn', files.detail);
    assert.equal(res.code, isRoot ? 1 : 0, 'exit 1 exactly when a check fails');
  });

  test('a gateway on 0.0.0.0 without a proxy, with a weak secret and a key in config.yaml fails with fixes', async () => {
    const res = await doctor(bad);
    assert.equal(res.code, 1);
    const c = byName(res.stdout);
    assert.equal(c.get('bind')?.status, 'fail');
    assert.equal(c.get('tls')?.status, 'fail');
    assert.equal(c.get('secret')?.status, 'fail');
    assert.doesNotMatch(res.stdout, /abababab|sk-literal/, 'secrets are never printed');
    assert.equal(c.get('keys')?.status, 'fail');
    assert.match(c.get('keys')!.detail, /llm\.providers\.openai\.api_key/);
    const exposure = c.get('exposure')!;
    if (external.length > 0) {
      assert.equal(exposure.status, 'fail', exposure.detail);
      const first = external[0]!;
      assert.ok(
        exposure.detail.includes(`${first.includes(':') ? `[${first}]` : first}:${bad.process.port}`),
        exposure.detail,
      );
      assert.match(exposure.fix ?? '', /nmap -p/);
    } else assert.equal(exposure.status, 'pass');
    // The human form prints each result with its fix.
    const text = await doctor(bad, []);
    assert.match(text.stdout, /^\[FAIL\] production: bind: binds 0\.0\.0\.0/m);
    assert.match(text.stdout, /^ {7}fix: bind 127\.0\.0\.1/m);
  });
});
