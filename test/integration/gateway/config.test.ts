/**
 * @module Configuration through the real CLI: defaults < file < env < flags, `${VAR}` expansion, and
 * one clear line with exit code 2 for every kind of invalid configuration.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, runCli, startGatewayProcess, tempHome } from '../../support/gateway-process.js';
import { Cleanup, freePort, holdPort, writeHomeConfig } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

function home(): string {
  const h = tempHome('openclaw-cfg-it-');
  cleanup.add(h.cleanup);
  return h.home;
}

async function get(h: string, key: string, env: Record<string, string> = {}, extra: string[] = []) {
  const r = await runCli(['config', 'get', key, ...extra], cliEnv(h, env));
  assert.equal(r.code, 0, `config get ${key}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('config precedence: defaults < file < env < flags', () => {
  test('defaults apply with no file and no env', async () => {
    const h = home();
    assert.equal(await get(h, 'gateway.port'), '18789');
    assert.equal(await get(h, 'gateway.host'), '127.0.0.1');
    assert.equal(await get(h, 'gateway.websocket.handshake_timeout'), '10');
    assert.equal(await get(h, 'data_dir'), join(h, '.openclaw', 'data'));
  });

  test('the file overrides defaults; env overrides the file key by key, leaving its other keys', async () => {
    const h = home();
    writeHomeConfig(h, 'gateway:\n  port: 20001\n  websocket:\n    ping_interval: 7\n');
    assert.equal(await get(h, 'gateway.port'), '20001');
    assert.equal(await get(h, 'gateway.websocket.ping_interval'), '7');
    const env = { OPENCLAW_GATEWAY_PORT: '20002', OPENCLAW_LOG_LEVEL: 'debug' };
    assert.equal(await get(h, 'gateway.port', env), '20002');
    assert.equal(await get(h, 'logging.level', env), 'debug');
    assert.equal(
      await get(h, 'gateway.websocket.ping_interval', env),
      '7',
      'file keys the env does not set survive',
    );
  });

  test('--config and OPENCLAW_CONFIG choose another file; a missing explicit file is an error', async () => {
    const h = home();
    writeHomeConfig(h, 'gateway:\n  port: 20001\n');
    const alt = join(h, 'alt.yaml');
    writeFileSync(alt, 'gateway:\n  port: 20003\n');
    assert.equal(await get(h, 'gateway.port', {}, ['--config', alt]), '20003');
    assert.equal(await get(h, 'gateway.port', { OPENCLAW_CONFIG: alt }), '20003');
    const r = await runCli(['config', 'get', 'gateway.port', '--config', join(h, 'missing.yaml')], cliEnv(h));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml: cannot read \(ENOENT\)/);
  });

  test('${VAR} and ${VAR:-default} in the file are expanded from the environment', async () => {
    const h = home();
    writeHomeConfig(h, 'gateway:\n  host: ${MY_BIND}\n  id: ${MY_ID:-gw-default}\n');
    assert.equal(await get(h, 'gateway.host', { MY_BIND: '127.0.0.5' }), '127.0.0.5');
    assert.equal(await get(h, 'gateway.id', { MY_BIND: '127.0.0.5' }), 'gw-default');
    assert.equal(await get(h, 'gateway.id', { MY_BIND: 'x', MY_ID: 'gw-7' }), 'gw-7');
  });

  test('config get redacts secrets, also inside objects', async () => {
    const h = home();
    const secret = 's3cret-'.repeat(5);
    assert.equal(await get(h, 'gateway.auth.secret', { OPENCLAW_AUTH_SECRET: secret }), '[REDACTED]');
    const whole = await get(h, 'gateway.auth', { OPENCLAW_AUTH_SECRET: secret });
    assert.ok(!whole.includes(secret));
    assert.equal(JSON.parse(whole).mode, 'token');
  });

  test('flags beat env: gateway start --port/--host win over OPENCLAW_GATEWAY_PORT/HOST', async () => {
    const h = home();
    // The env port is held by something else, so if the flag lost, start-up would fail instead.
    const held = await holdPort(cleanup);
    writeHomeConfig(h, 'gateway:\n  port: 1\n  host: 127.0.0.9\n');
    const port = await freePort();
    const gw = await startGatewayProcess({
      home: h,
      env: {
        OPENCLAW_AUTH_SECRET: 'x'.repeat(32),
        OPENCLAW_GATEWAY_PORT: String(held.port),
        OPENCLAW_GATEWAY_HOST: '127.0.0.3',
      },
      args: ['--port', String(port), '--host', '127.0.0.1'],
    });
    cleanup.add(() => gw.stop('SIGKILL'));
    assert.equal(gw.port, port);
    assert.equal(new URL(gw.wsUrl).hostname, '127.0.0.1');
    const res = await fetch(`${gw.httpUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal((await gw.stop()).code, 0);
  });

  test('a bad --port flag is a usage error (exit 2)', async () => {
    const h = home();
    const r = await runCli(['gateway', 'start', '--headless', '--port', 'eighty'], cliEnv(h));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port eighty: expected a whole number from 0 to 65535/);
  });
});

interface BadCase {
  name: string;
  yaml?: string;
  env?: Record<string, string>;
  expect: RegExp[];
}

const BAD: BadCase[] = [
  {
    name: 'unknown key, with a did-you-mean',
    yaml: 'gateway:\n  prot: 18790\n',
    expect: [/gateway\.prot is not a known key/, /did you mean gateway\.port\?/, /from file .*config\.yaml/],
  },
  {
    name: 'unknown top-level section, blamed on the file',
    yaml: 'gatway:\n  port: 1\n',
    expect: [/gatway is not a known key \(did you mean gateway\?\)/, /from file .*config\.yaml/],
  },
  {
    name: 'wrong type',
    yaml: 'gateway:\n  port: "abc"\n',
    expect: [/gateway\.port = "abc": expected number/],
  },
  {
    name: 'out of range',
    yaml: 'gateway:\n  port: 70000\n',
    expect: [/gateway\.port = 70000: must be at most 65535/],
  },
  {
    name: 'below a positive bound, named once',
    yaml: 'gateway:\n  websocket:\n    handshake_timeout: -1\n',
    expect: [/gateway\.websocket\.handshake_timeout = -1: must be greater than 0 \(from file [^;]*$/],
  },
  {
    name: 'bad enum',
    yaml: 'logging:\n  level: loud\n',
    expect: [/logging\.level = "loud": allowed: "trace", "debug", "info"/],
  },
  {
    name: 'bad YAML',
    yaml: 'gateway: [unclosed\n  port: 1\n',
    expect: [/not valid YAML at line \d+ column \d+/],
  },
  {
    name: 'duplicate YAML key',
    yaml: 'gateway:\n  port: 1\n  port: 2\n',
    expect: [/not valid YAML at line 3 column 3: Map keys must be unique/],
  },
  {
    name: 'unset ${VAR}',
    yaml: 'gateway:\n  auth:\n    secret: ${OPENCLAW_IT_UNSET_VAR}\n',
    expect: [/gateway\.auth\.secret uses \$\{OPENCLAW_IT_UNSET_VAR\}, but OPENCLAW_IT_UNSET_VAR is not set/],
  },
  {
    name: 'bad env value (not a number)',
    env: { OPENCLAW_GATEWAY_PORT: 'abc' },
    expect: [/OPENCLAW_GATEWAY_PORT="abc": expected a whole number/],
  },
  {
    name: 'bad env value (not a boolean)',
    env: { OPENCLAW_HEADLESS: 'maybe' },
    expect: [/OPENCLAW_HEADLESS="maybe": expected true or false/],
  },
  {
    name: 'env value out of range, blamed on the variable',
    env: { OPENCLAW_GATEWAY_PORT: '99999' },
    expect: [/gateway\.port = 99999: must be at most 65535 \(from env OPENCLAW_GATEWAY_PORT\)/],
  },
];

describe('invalid config: one clear line and exit code 2', () => {
  for (const c of BAD) {
    test(c.name, async () => {
      const h = home();
      if (c.yaml !== undefined) writeHomeConfig(h, c.yaml);
      // No port override here: it would mask the file's bad port. A config that wrongly passed would
      // start a gateway, which runCli kills at its timeout, failing the test.
      const env = cliEnv(h, { ...c.env });
      const [validate, start] = await Promise.all([
        runCli(['config', 'validate'], env),
        runCli(['gateway', 'start', '--headless'], env, 15_000),
      ]);
      for (const [what, r] of [
        ['config validate', validate],
        ['gateway start', start],
      ] as const) {
        assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `${what}: exactly one line, got:\n${r.stderr}`);
        assert.match(lines[0]!, /^openclaw: .*\[GW_ERR_CONFIG_INVALID\]$/);
        for (const re of c.expect) assert.match(lines[0]!, re, what);
        assert.equal(r.stdout, '', `${what}: nothing on stdout`);
      }
    });
  }

  test('config validate passes on a good file and says which file', async () => {
    const h = home();
    const path = writeHomeConfig(h, 'gateway:\n  port: 18790\n');
    const r = await runCli(['config', 'validate', '--json'], cliEnv(h));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { valid: true, config_path: path });
  });
});
