import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { nextEmit, sleep, startPair } from './test-support/fixture.js';

const reconnect = { initialDelayMs: 20, jitter: false } as const;

describe('GatewayClient keepalive', () => {
  test('detects a gateway that stops answering pings within interval + timeout, then reconnects', async (t) => {
    const keepalive = { enabled: true, intervalMs: 100, timeoutMs: 150 };
    const { gw, client } = await startPair(t, {}, { keepalive, reconnect });
    await client.connect();
    const disconnected = nextEmit(client, 'disconnected');
    const reconnected = nextEmit(client, 'reconnected');
    const paused = Date.now();
    gw.pauseAll(); // TCP stays up, the server just stops reading: no pong, no close
    const [info] = await disconnected;
    const elapsed = Date.now() - paused;
    assert.ok(elapsed >= 140, `declared dead too early, after ${elapsed} ms`);
    assert.ok(elapsed <= 100 + 150 + 300, `took ${elapsed} ms to notice`);
    assert.equal(info.code, 1006);
    assert.match(info.reason, /no pong within 150 ms/);
    const [result] = await reconnected;
    assert.equal(result.session.resumed, true);
  });

  test('a gateway that answers pings keeps the connection', async (t) => {
    const keepalive = { enabled: true, intervalMs: 30, timeoutMs: 60 };
    const { gw, client } = await startPair(t, {}, { keepalive, reconnect });
    await client.connect();
    let drops = 0;
    client.on('disconnected', () => drops++);
    let pings = 0;
    gw.connections[0]?.ws.on('ping', () => pings++);
    await sleep(400);
    assert.equal(drops, 0);
    assert.ok(pings >= 5, `only ${pings} pings in 400 ms at a 30 ms interval`);
    assert.equal(gw.upgrades, 1);
  });

  test('keepalive disabled sends no pings', async (t) => {
    const { gw, client } = await startPair(t, {}, { keepalive: { enabled: false, intervalMs: 20 } });
    await client.connect();
    let pings = 0;
    gw.connections[0]?.ws.on('ping', () => pings++);
    await sleep(150);
    assert.equal(pings, 0);
  });
});
