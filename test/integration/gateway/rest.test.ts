/**
 * @module REST basics over a real socket: bearer auth (401 with WWW-Authenticate, 403 for a node
 * token), 404, 413 over `gateway.max_body_size`, JSON errors with a stable code, and 503 while the
 * server is starting or draining.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/index.js';
import {
  AuthThrottle,
  Authenticator,
  GatewayServer,
  InMemoryRevocationStore,
  createTokenService,
} from '../../../src/gateway/index.js';
import { tempHome } from '../../support/gateway-process.js';
import { Cleanup, randomSecret, startTestGateway, type Frame, type TestGateway } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Frame | null;
  text: string;
}

/** A raw HTTP request (fetch hides some failure modes, e.g. a reset before the response). */
function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: string[] } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let body: Frame | null = null;
        try {
          body = JSON.parse(text) as Frame;
        } catch {
          body = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    // Several writes without a Content-Length: the body arrives chunked, its size unknown up front.
    for (const c of opts.chunks ?? []) req.write(c);
    req.end(opts.body);
  });
}

function assertErrorBody(r: HttpResult, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.equal(typeof r.body?.error?.message, 'string');
  assert.equal(typeof r.body?.error?.retryable, 'boolean');
}

describe('REST against a real gateway', () => {
  let gw: TestGateway;
  let op: string;
  before(async () => {
    gw = await startTestGateway(cleanup, {
      config: 'gateway:\n  max_body_size: 2048\n  auth:\n    max_failures: 1000\n',
    });
    op = gw.token('operator');
  });

  test('no token: 401 JSON {error:{code,message,retryable}} with WWW-Authenticate: Bearer', async () => {
    const r = await http(`${gw.httpUrl}/api/tasks`);
    assertErrorBody(r, 401, 'GW_ERR_AUTH_REQUIRED');
    assert.equal(r.body?.error?.retryable, false);
    assert.equal(r.headers['www-authenticate'], 'Bearer');
  });

  test('a bad token: 401 GW_ERR_AUTH_INVALID, and the token is not echoed', async () => {
    const bad = 'oc1.eyJub3BlIjp0cnVlfQ.c2ln';
    const r = await http(`${gw.httpUrl}/api/tasks`, { headers: { authorization: `Bearer ${bad}` } });
    assertErrorBody(r, 401, 'GW_ERR_AUTH_INVALID');
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    assert.ok(!r.text.includes(bad));
  });

  test('a node token: 403 GW_ERR_AUTH_FORBIDDEN_ROLE', async () => {
    const r = await http(`${gw.httpUrl}/api/tasks`, {
      headers: { authorization: `Bearer ${gw.token('node')}` },
    });
    assertErrorBody(r, 403, 'GW_ERR_AUTH_FORBIDDEN_ROLE');
  });

  test('a browser request from a foreign Origin is refused (403) even with a valid token', async () => {
    const headers = { authorization: `Bearer ${op}`, 'content-type': 'text/plain' };
    const body = JSON.stringify({ skill: 'echo', args: {}, async: true });
    const foreign = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers: { ...headers, origin: 'https://evil.example' },
      body,
    });
    assertErrorBody(foreign, 403, 'GW_ERR_AUTH_ORIGIN_FORBIDDEN');
    const own = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers: { ...headers, origin: `http://127.0.0.1:${gw.port}` },
      body,
    });
    assert.equal(own.status, 202, own.text);
  });

  test('an unknown route: 404 GW_ERR_GATEWAY_NOT_FOUND', async () => {
    const auth = { authorization: `Bearer ${op}` };
    assertErrorBody(await http(`${gw.httpUrl}/api/nope`, { headers: auth }), 404, 'GW_ERR_GATEWAY_NOT_FOUND');
    assertErrorBody(
      await http(`${gw.httpUrl}/api/tasks`, { method: 'DELETE', headers: auth }),
      404,
      'GW_ERR_GATEWAY_NOT_FOUND',
    );
    assertErrorBody(
      await http(`${gw.httpUrl}/api/tasks/task-does-not-exist`, { headers: auth }),
      404,
      'GW_ERR_TASK_NOT_FOUND',
    );
  });

  test('a body over gateway.max_body_size: 413 GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE, and the server goes on', async () => {
    const body = JSON.stringify({ skill: 'echo', args: { message: 'x'.repeat(4096) }, async: true });
    const r = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body,
    });
    assertErrorBody(r, 413, 'GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE');
    // A large body the client is still sending when the answer comes, and one of unknown length.
    const headers = { authorization: `Bearer ${op}`, 'content-type': 'application/json' };
    const big = await http(`${gw.httpUrl}/api/tasks`, { method: 'POST', headers, body: 'x'.repeat(4 << 20) });
    assertErrorBody(big, 413, 'GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE');
    const chunked = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers,
      chunks: Array.from({ length: 64 }, () => 'y'.repeat(1024)),
    });
    assertErrorBody(chunked, 413, 'GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE');
    const viaFetch = await fetch(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers,
      body: 'z'.repeat(1 << 20),
    });
    assert.equal(viaFetch.status, 413);
    const ok = await http(`${gw.httpUrl}/api/tasks`, { headers: { authorization: `Bearer ${op}` } });
    assert.equal(ok.status, 200);
  });

  test('a body that is not JSON: 400 with a code', async () => {
    const r = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body: '{"task": ',
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(typeof r.body?.error?.code, 'string');
  });

  test('POST /api/tasks async answers 202, GET /api/tasks/:id finds it; without async it waits (200)', async () => {
    const headers = { authorization: `Bearer ${op}`, 'content-type': 'application/json' };
    const a = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ skill: 'echo', args: { message: 'hi' }, async: true }),
    });
    assert.equal(a.status, 202, a.text);
    const id = a.body?.id as string;
    assert.match(id, /^task-/);
    const got = await http(`${gw.httpUrl}/api/tasks/${id}`, { headers });
    assert.equal(got.status, 200);
    assert.equal(got.body?.id, id);
    const s = await http(`${gw.httpUrl}/api/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ skill: 'echo', args: { message: 'sync' } }),
    });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body?.status, 'succeeded');
    assert.deepEqual(s.body?.result, { message: 'sync' });
  });
});

describe('REST while starting and draining (in-process server, real socket)', () => {
  test('/api answers 503 with Retry-After and /ready 503 until ready, and again when draining', async () => {
    const { home, cleanup: rm } = tempHome('openclaw-rest-it-');
    cleanup.add(rm);
    const cfg = loadConfig({ env: {}, home, flags: { 'gateway.port': 0 } });
    const secret = randomSecret();
    const tokens = createTokenService({ secret, revocations: new InMemoryRevocationStore() });
    const server = new GatewayServer({
      config: cfg,
      authenticator: new Authenticator({ mode: 'token', tokens, throttle: new AuthThrottle() }),
      logger: pino({ level: 'silent' }),
      version: '0.0.0-test',
      gatewayId: 'rest-it',
    });
    server.rest.route('GET', '/api/ping', ['operator'], () => ({ status: 200, body: { pong: true } }));
    await server.listen();
    cleanup.add(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { authorization: `Bearer ${tokens.issue({ role: 'operator' }).token}` };

    const starting = await http(`${base}/api/ping`, { headers: auth });
    assertErrorBody(starting, 503, 'GW_ERR_GATEWAY_NOT_READY');
    assert.equal(starting.body?.error?.retryable, true);
    assert.ok(starting.headers['retry-after']);
    const readyStarting = await http(`${base}/ready`);
    assert.equal(readyStarting.status, 503);
    assert.deepEqual(readyStarting.body, { status: 'starting' });
    assert.equal((await http(`${base}/health`)).status, 200, 'liveness does not wait for readiness');

    server.markReady();
    assert.equal((await http(`${base}/ready`)).status, 200);
    const ok = await http(`${base}/api/ping`, { headers: auth });
    assert.deepEqual(ok.body, { pong: true });

    server.beginDrain('test');
    const draining = await http(`${base}/api/ping`, { headers: auth });
    assertErrorBody(draining, 503, 'GW_ERR_GATEWAY_DRAINING');
    assert.ok(draining.headers['retry-after']);
    assert.deepEqual((await http(`${base}/ready`)).body, { status: 'draining' });
  });
});
