import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayServer } from './gateway-server.js';
import { Authenticator } from './authenticator.js';
import { AuthThrottle, createTokenService, InMemoryRevocationStore } from './auth/index.js';
import { loadConfig } from '../config/index.js';
import { createMemoryLogger } from '../observability/index.js';

async function serve(readiness: () => Promise<boolean>) {
  const cfg = loadConfig({ env: { OPENCLAW_GATEWAY_PORT: '0' }, home: '/nonexistent-home' });
  const tokens = createTokenService({ secret: 'x'.repeat(32), revocations: new InMemoryRevocationStore() });
  const server = new GatewayServer({
    config: cfg,
    authenticator: new Authenticator({ mode: 'token', tokens, throttle: new AuthThrottle() }),
    logger: createMemoryLogger().logger,
    version: 'test',
    gatewayId: 'gw-test',
    readiness,
  });
  await server.listen();
  return server;
}

test('/ready is 503 while starting, 200 once ready, 503 again when the store stops answering', async () => {
  let storeUp = true;
  const server = await serve(async () => {
    if (!storeUp) throw new Error('disk I/O error');
    return true;
  });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    assert.equal((await fetch(`${url}/ready`)).status, 503);
    server.markReady();
    const ok = await fetch(`${url}/ready`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ok' });
    storeUp = false;
    const bad = await fetch(`${url}/ready`);
    assert.equal(bad.status, 503);
    assert.deepEqual(await bad.json(), { status: 'starting', reason: 'store unavailable' });
    assert.equal(
      (await fetch(`${url}/health`)).status,
      200,
      'liveness stays up: restarting would not fix a disk',
    );
  } finally {
    await server.close();
  }
});
