/**
 * @module The handshake matrix of PROTOCOL.md against a real gateway process, seen through raw `ws`
 * clients: every refusal has its error code and close code, and the server keeps serving others.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  Cleanup,
  RawClient,
  assertServing,
  connectParams,
  mintToken,
  operator,
  randomSecret,
  refusedUpgrade,
  sleep,
  startTestGateway,
  type TestGateway,
} from './support/harness.js';

const CONFIG = `
gateway:
  websocket:
    handshake_timeout: 1
    ping_interval: 0.5
    ping_timeout: 0.5
    max_message_size: 100000
    allowed_origins: ["https://ops.example.com"]
  auth:
    max_failures: 1000
`;

describe('handshake matrix against a real gateway', () => {
  const cleanup = new Cleanup();
  let gw: TestGateway;
  let opToken: string;
  /** Every credential handed out here; none may show up in a log line. */
  const credentials: string[] = [];

  before(async () => {
    gw = await startTestGateway(cleanup, { config: CONFIG });
    opToken = gw.token('operator');
    credentials.push(gw.secret, opToken);
  });
  after(() => cleanup.run());

  const serving = () => assertServing(gw.wsUrl, opToken, cleanup);

  test('a good operator connect gets the v1 hello with session, role and policy', async () => {
    const { client, hello } = await operator(gw.wsUrl, opToken, cleanup);
    assert.equal(hello.payload.protocol, 1);
    assert.equal(hello.payload.server.name, 'openclaw-gateway');
    assert.equal(hello.payload.role, 'operator');
    assert.equal(hello.payload.session.resumed, false);
    assert.equal(hello.payload.policy.max_message_size, 100000);
    assert.equal(hello.payload.policy.ping_interval_ms, 500);
    assert.equal(hello.payload.policy.ping_timeout_ms, 500);
    assert.ok(hello.payload.methods.includes('health'));
    const res = await client.request('health', {});
    assert.equal(res.ok, true);
    assert.equal(res.payload.status, 'ok');
    assert.equal(typeof res.payload.uptime_ms, 'number');
    client.close();
  });

  test('the WebSocket is also served at / besides websocket_path', async () => {
    const root = gw.wsUrl.replace(/\/ws$/, '/');
    await assertServing(root, opToken, cleanup);
  });

  test('no token: GW_ERR_AUTH_REQUIRED, then close 4401', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const res = await c.connect();
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_AUTH_REQUIRED');
    assert.equal(res.error.retryable, false);
    assert.equal(await c.closeCode(), 4401);
    await serving();
  });

  test('wrong token (garbage, and one signed with another secret): GW_ERR_AUTH_INVALID, close 4401', async () => {
    for (const token of ['not-a-token', mintToken(randomSecret(), 'operator')]) {
      const c = await RawClient.open(gw.wsUrl, cleanup);
      const res = await c.connect({ auth: { token } });
      assert.equal(res.ok, false);
      assert.equal(res.error.code, 'GW_ERR_AUTH_INVALID');
      assert.equal(await c.closeCode(), 4401);
      credentials.push(token);
    }
    await serving();
  });

  test('an expired token from `openclaw token create --ttl 1s`: GW_ERR_AUTH_INVALID (expired), close 4401', async () => {
    const r = await gw.cli(['token', 'create', '--role', 'operator', '--ttl', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const issued = JSON.parse(r.stdout) as { token: string; expires_at: string };
    credentials.push(issued.token);
    // Valid before expiry (proves the CLI signed with the gateway's key) ...
    const early = await RawClient.open(gw.wsUrl, cleanup);
    const ok = await early.connect({ auth: { token: issued.token } });
    if (Date.now() < Date.parse(issued.expires_at) - 100) assert.equal(ok.ok, true, JSON.stringify(ok));
    early.close();
    // ... and refused after.
    await sleep(Math.max(0, Date.parse(issued.expires_at) - Date.now()) + 50);
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const res = await c.connect({ auth: { token: issued.token } });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_AUTH_INVALID');
    assert.equal(res.error.details?.reason, 'expired');
    assert.equal(await c.closeCode(), 4401);
    await serving();
  });

  test('a token revoked with `openclaw token revoke`: GW_ERR_AUTH_INVALID (revoked), close 4401', async () => {
    const r = await gw.cli(['token', 'create', '--role', 'operator', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { token, jti } = JSON.parse(r.stdout) as { token: string; jti: string };
    credentials.push(token);
    const before = await RawClient.open(gw.wsUrl, cleanup);
    assert.equal((await before.connect({ auth: { token } })).ok, true);
    before.close();

    const rev = await gw.cli(['token', 'revoke', token, '--json']);
    assert.equal(rev.code, 0, rev.stderr);
    assert.equal(JSON.parse(rev.stdout).jti, jti);
    assert.ok(!rev.stdout.includes(token), 'revoke must not echo the token');

    const c = await RawClient.open(gw.wsUrl, cleanup);
    const res = await c.connect({ auth: { token } });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_AUTH_INVALID');
    assert.equal(res.error.details?.reason, 'revoked');
    assert.equal(await c.closeCode(), 4401);
    await serving();
  });

  test('a node token connecting as operator: GW_ERR_AUTH_FORBIDDEN_ROLE, close 4403', async () => {
    const nodeToken = gw.token('node');
    credentials.push(nodeToken);
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const res = await c.connect({ auth: { token: nodeToken } });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_AUTH_FORBIDDEN_ROLE');
    assert.equal(await c.closeCode(), 4403);
    await serving();
  });

  test('a node session calling an operator method: GW_ERR_AUTH_FORBIDDEN_ROLE, and the socket stays open', async () => {
    const nodeToken = gw.token('node');
    credentials.push(nodeToken);
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const hello = await c.connect({
      role: 'node',
      auth: { token: nodeToken },
      node: { id: 'it-handshake-node', capabilities: ['nothing-routable'] },
    });
    assert.equal(hello.ok, true, JSON.stringify(hello));
    assert.equal(hello.payload.role, 'node');
    for (const [method, params] of [
      ['task.list', {}],
      ['task.submit', { skill: 'echo', args: {} }],
      ['node.list', {}],
    ] as const) {
      const res = await c.request(method, params);
      assert.equal(res.ok, false, method);
      assert.equal(res.error.code, 'GW_ERR_AUTH_FORBIDDEN_ROLE', method);
    }
    // PROTOCOL closes only a refused connect; a refused method is an answer, not a disconnect.
    assert.equal(c.isOpen, true);
    assert.equal((await c.request('health', {})).ok, true);
    c.close();
    await serving();
  });

  test('a protocol range without v1: GW_ERR_PROTOCOL_VERSION, close 4400', async () => {
    for (const protocol of [
      { min: 2, max: 3 },
      { min: 2, max: 1 },
    ]) {
      const c = await RawClient.open(gw.wsUrl, cleanup);
      const res = await c.connect({ protocol, auth: { token: opToken } });
      assert.equal(res.ok, false);
      assert.equal(res.error.code, 'GW_ERR_PROTOCOL_VERSION');
      assert.equal(await c.closeCode(), 4400);
    }
    await serving();
  });

  test('a first frame that is not connect: error frame, then close 1008', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const res = await c.request('health', {});
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_PROTOCOL_HANDSHAKE_REQUIRED');
    assert.equal(await c.closeCode(), 1008);
    // An event as the first frame has no id to answer, but closes the same way.
    const e = await RawClient.open(gw.wsUrl, cleanup);
    e.send({ type: 'event', event: 'hello', seq: 1 });
    assert.equal(await e.closeCode(), 1008);
    await serving();
  });

  test('invalid JSON closes with 1007; a frame with a readable id but no valid type is answered first', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    c.send('{"type":"req", this is not json');
    assert.equal(await c.closeCode(), 1007);

    const d = await RawClient.open(gw.wsUrl, cleanup);
    d.send({ type: 'bogus', id: 'x1' });
    const res = await d.waitFor((f) => f.id === 'x1');
    assert.equal(res.error.code, 'GW_ERR_PROTOCOL_INVALID_FRAME');
    assert.equal(await d.closeCode(), 1007);

    // After the handshake too: a broken frame ends that connection only.
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    client.send('[1,2,');
    assert.equal(await client.closeCode(), 1007);
    await serving();
  });

  test('a binary frame closes with 1007', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    c.ws.send(Buffer.from(JSON.stringify({ type: 'req', id: '1', method: 'connect' })), { binary: true });
    assert.equal(await c.closeCode(), 1007);
    await serving();
  });

  test('before auth, a frame over 64 KiB closes with 1009 even though max_message_size is larger', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const pad = 'x'.repeat(70 * 1024);
    c.send({ ...{ type: 'req', id: '1', method: 'connect' }, params: { ...connectParams(), pad } });
    assert.equal(await c.closeCode(), 1009);
    await serving();
  });

  test('after auth, frames up to max_message_size are read and a larger one closes with 1009', async () => {
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    // 80 KB: over the pre-auth limit, under max_message_size, so it must be parsed and answered.
    const mid = await client.request('no.such.method', { pad: 'y'.repeat(80 * 1024) });
    assert.equal(mid.error.code, 'GW_ERR_PROTOCOL_UNKNOWN_METHOD');
    assert.equal(client.isOpen, true);
    client.send({ type: 'req', id: 'big', method: 'health', params: { pad: 'z'.repeat(120_000) } });
    assert.equal(await client.closeCode(), 1009);
    await serving();
  });

  test('a client that stays silent past handshake_timeout (1 s) is closed with 1008', async () => {
    const t0 = Date.now();
    const c = await RawClient.open(gw.wsUrl, cleanup);
    assert.equal(await c.closeCode(4000), 1008);
    const took = Date.now() - t0;
    assert.ok(took >= 900, `closed after ${took} ms, before the 1 s handshake timeout`);
    await serving();
  });

  test('requests pipelined behind connect in the same TCP segment are answered after it, in order', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.cork(); // one write: the server reads all frames before the connect is verified
    c.send({ type: 'req', id: 'c', method: 'connect', params: connectParams({ auth: { token: opToken } }) });
    c.send({ type: 'req', id: 'h1', method: 'health', params: {} });
    c.send({ type: 'req', id: 'h2', method: 'nope.nope', params: {} });
    socket.uncork();
    await c.waitFor((f) => f.id === 'h2');
    assert.deepEqual(
      c.frames.map((f) => [f.id, f.ok]),
      [
        ['c', true],
        ['h1', true],
        ['h2', false],
      ],
    );
    assert.equal(c.isOpen, true);
    c.close();

    // Behind a refused connect, nothing else is answered and the close code is the refusal's.
    const d = await RawClient.open(gw.wsUrl, cleanup);
    const ds = (d.ws as unknown as { _socket: import('node:net').Socket })._socket;
    ds.cork();
    d.send({ type: 'req', id: 'c', method: 'connect', params: connectParams({ auth: { token: 'bad' } }) });
    d.send({ type: 'req', id: 'h1', method: 'health', params: {} });
    ds.uncork();
    assert.equal(await d.closeCode(), 4401);
    assert.deepEqual(
      d.frames.map((f) => f.id),
      ['c'],
    );
    await serving();
  });

  test('a peer that stops answering pings is closed with 1001; one that answers stays', async () => {
    const { client: alive } = await operator(gw.wsUrl, opToken, cleanup);
    const mute = await RawClient.open(gw.wsUrl, cleanup, { autoPong: false });
    assert.equal((await mute.connect({ auth: { token: opToken } })).ok, true);
    const t0 = Date.now();
    assert.equal(await mute.closeCode(5000), 1001);
    assert.ok(Date.now() - t0 < 3000, 'closed within about ping_interval + ping_timeout');
    assert.equal(alive.isOpen, true);
    assert.equal((await alive.request('health', {})).ok, true);
    alive.close();
  });

  test('an unknown method answers GW_ERR_PROTOCOL_UNKNOWN_METHOD and the socket stays open', async () => {
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    const res = await client.request('does.not.exist', {});
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_PROTOCOL_UNKNOWN_METHOD');
    assert.equal(res.error.details?.method, 'does.not.exist');
    assert.equal((await client.request('health', {})).ok, true);
    client.close();
  });

  test('invalid params answer GW_ERR_PROTOCOL_INVALID_PARAMS with the failing path, socket open', async () => {
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    const res = await client.request('task.get', { id: 42 });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
    assert.equal(res.error.details?.path, 'id');
    const nested = await client.request('task.submit', { skill: 'echo', args: {}, priority: 'urgent' });
    assert.equal(nested.error.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
    assert.equal(nested.error.details?.path, 'priority');
    assert.equal((await client.request('health', {})).ok, true);
    client.close();
  });

  test('invalid connect params are answered and the client may retry within the timeout', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup);
    const bad = await c.request('connect', { protocol: { min: 1, max: 1 }, role: 'emperor' });
    assert.equal(bad.error.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
    assert.equal(typeof bad.error.details?.path, 'string');
    const good = await c.connect({ auth: { token: opToken } });
    assert.equal(good.ok, true);
    c.close();
  });

  test('a second connect on an open session is refused without closing', async () => {
    const { client } = await operator(gw.wsUrl, opToken, cleanup);
    const again = await client.connect({ auth: { token: opToken } });
    assert.equal(again.error.code, 'GW_ERR_PROTOCOL_ALREADY_CONNECTED');
    assert.equal((await client.request('health', {})).ok, true);
    client.close();
  });

  test('the token may come in the Authorization header instead of the connect frame', async () => {
    const c = await RawClient.open(gw.wsUrl, cleanup, { headers: { Authorization: `Bearer ${opToken}` } });
    const res = await c.connect();
    assert.equal(res.ok, true, JSON.stringify(res));
    assert.equal((await c.request('health', {})).ok, true);
    c.close();
    // A bad header token is refused like a bad frame token.
    const d = await RawClient.open(gw.wsUrl, cleanup, {
      headers: { Authorization: 'Bearer nope.nope.nope' },
    });
    const refused = await d.connect();
    assert.equal(refused.error.code, 'GW_ERR_AUTH_INVALID');
    assert.equal(await d.closeCode(), 4401);
  });

  test('a browser Origin that is not allowed is refused with 403 at the upgrade', async () => {
    const r = await refusedUpgrade(gw.wsUrl, { origin: 'https://evil.example' });
    assert.equal(r.opened, false);
    assert.equal(r.status, 403);
    assert.equal(r.body?.error?.code, 'GW_ERR_AUTH_ORIGIN_FORBIDDEN');
    // Same host name, other port: another origin.
    const other = await refusedUpgrade(gw.wsUrl, { origin: `http://127.0.0.1:${gw.port + 1}` });
    assert.equal(other.status, 403);
    await serving();
  });

  test("the Web UI's own origin and a configured allowed origin may connect", async () => {
    for (const origin of [
      `http://127.0.0.1:${gw.port}`,
      `http://localhost:${gw.port}`,
      'https://ops.example.com',
    ]) {
      const c = await RawClient.open(gw.wsUrl, cleanup, { origin });
      const res = await c.connect({ auth: { token: opToken } });
      assert.equal(res.ok, true, origin);
      c.close();
    }
  });

  test('an upgrade on an unknown path is refused with 404', async () => {
    const r = await refusedUpgrade(gw.wsUrl.replace(/\/ws$/, '/elsewhere'));
    assert.equal(r.status, 404);
    assert.equal(r.body?.error?.code, 'GW_ERR_GATEWAY_NOT_FOUND');
  });

  test('no token, secret or credential appears in the logs (stdout and gateway.log)', async () => {
    const stdout = JSON.stringify(gw.logs);
    const logDir = join(gw.home, '.openclaw', 'logs');
    const files = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8'));
    assert.ok(files.length > 0, 'gateway.log was written');
    assert.ok(
      gw.logs.some((l) => l.event === 'auth_failed'),
      'auth failures are logged (so the check below is not vacuous)',
    );
    for (const cred of credentials) {
      assert.ok(!stdout.includes(cred), 'a credential leaked into stdout logs');
      for (const text of files) assert.ok(!text.includes(cred), 'a credential leaked into gateway.log');
    }
  });
});

describe('failed-auth throttling', () => {
  const cleanup = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(cleanup, {
      config:
        'gateway:\n  trusted_proxies: ["127.0.0.9"]\n  auth:\n    max_failures: 3\n    failure_window: 60\n',
    });
  });
  after(() => cleanup.run());

  test('after max_failures bad attempts an address gets GW_ERR_AUTH_RATE_LIMITED, even with a good token', async () => {
    // A distinct loopback source address keeps this block away from every other client.
    const from = { localAddress: '127.0.0.7' };
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.open(gw.wsUrl, cleanup, from);
      const res = await c.connect({ auth: { token: `bad-${i}` } });
      assert.equal(res.error.code, 'GW_ERR_AUTH_INVALID');
      assert.equal(await c.closeCode(), 4401);
    }
    const good = gw.token('operator');
    const c = await RawClient.open(gw.wsUrl, cleanup, from);
    const res = await c.connect({ auth: { token: good } });
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'GW_ERR_AUTH_RATE_LIMITED');
    assert.equal(res.error.retryable, true);
    assert.ok(Number(res.error.details?.retry_after_s) >= 1);
    assert.equal(await c.closeCode(), 4401);

    // REST from the same address is slowed down too: 429 with Retry-After.
    const rest = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${gw.httpUrl}/api/tasks`,
          { headers: { authorization: `Bearer ${good}` }, localAddress: from.localAddress },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(rest.status, 429, rest.body);
    assert.equal(JSON.parse(rest.body).error.code, 'GW_ERR_AUTH_RATE_LIMITED');
    assert.ok(Number(rest.retryAfter) >= 1);

    // Other addresses are unaffected.
    await assertServing(gw.wsUrl, good, cleanup);

    // The block ends (first block 1 s), and a good token works again from that address.
    await sleep(1200);
    const later = await RawClient.open(gw.wsUrl, cleanup, from);
    const ok = await later.connect({ auth: { token: good } });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    later.close();
  });

  /** Three failed connects from `localAddress`, each claiming the given X-Forwarded-For. */
  async function failThrice(localAddress: string, xff: (i: number) => string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.open(gw.wsUrl, cleanup, {
        localAddress,
        headers: { 'X-Forwarded-For': xff(i) },
      });
      assert.equal((await c.connect({ auth: { token: `bad-${i}` } })).error.code, 'GW_ERR_AUTH_INVALID');
      await c.closed;
    }
  }

  async function connectCode(localAddress: string, xff: string): Promise<string | true> {
    const c = await RawClient.open(gw.wsUrl, cleanup, { localAddress, headers: { 'X-Forwarded-For': xff } });
    const res = await c.connect({ auth: { token: gw.token('operator') } });
    c.close();
    return res.ok === true ? true : (res.error.code as string);
  }

  test('an untrusted peer cannot dodge the throttle by rotating X-Forwarded-For', async () => {
    await failThrice('127.0.0.8', (i) => `198.51.100.${i}`);
    assert.equal(await connectCode('127.0.0.8', '198.51.100.77'), 'GW_ERR_AUTH_RATE_LIMITED');
  });

  test('behind a trusted proxy, each forwarded client address is throttled on its own', async () => {
    await failThrice('127.0.0.9', () => '203.0.113.5');
    assert.equal(await connectCode('127.0.0.9', '203.0.113.5'), 'GW_ERR_AUTH_RATE_LIMITED');
    assert.equal(await connectCode('127.0.0.9', '203.0.113.6'), true);
  });
});
