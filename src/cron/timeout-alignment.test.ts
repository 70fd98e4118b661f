/** @module Unit tests: which job timeouts collide with task, WebSocket idle and proxy read timeouts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/index.js';
import { timeoutWarnings } from './timeout-alignment.js';

const cfg = (flags: Record<string, unknown>) => loadConfig({ env: {}, flags, home: '/nonexistent-home' });
const job = (name: string, timeout?: number) => ({
  name,
  template: { task: 'report', ...(timeout !== undefined ? { timeout } : {}) },
});

describe('timeoutWarnings', () => {
  test('a job longer than the proxy read timeout gets one warning naming both values and the fix', () => {
    const w = timeoutWarnings(cfg({ 'gateway.proxy_read_timeout': 3600 }), [job('daily-report', 7200)]);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.job, 'daily-report');
    assert.equal(w[0]!.limit, 'gateway.proxy_read_timeout');
    assert.equal(w[0]!.limit_s, 3600);
    assert.match(
      w[0]!.message,
      /cron job daily-report may run 7200 s, longer than gateway.proxy_read_timeout \(3600 s\)/,
    );
    assert.match(
      w[0]!.fix,
      /raise gateway.proxy_read_timeout to at least 7200, or lower the timeout of cron job daily-report to 3600 or less/,
    );
  });

  test('each exceeded limit is reported: default task timeout, WebSocket idle timeout, proxy read timeout', () => {
    const c = cfg({
      'tasks.default_timeout': 600,
      'gateway.websocket.idle_timeout': 900,
      'gateway.proxy_read_timeout': 1200,
    });
    const w = timeoutWarnings(c, [job('long', 3600), job('short', 300)]);
    assert.deepEqual(
      w.map((x) => `${x.job} ${x.limit}`),
      [
        'long tasks.default_timeout',
        'long gateway.websocket.idle_timeout',
        'long gateway.proxy_read_timeout',
      ],
    );
  });

  test('a job without its own timeout inherits tasks.default_timeout and is checked against the rest', () => {
    const c = cfg({ 'tasks.default_timeout': 7200, 'gateway.proxy_read_timeout': 3600 });
    const w = timeoutWarnings(c, [job('inherits')]);
    assert.deepEqual(
      w.map((x) => [x.limit, x.timeout]),
      [['gateway.proxy_read_timeout', 7200]],
    );
  });

  test('nothing to say when limits are off (0) or the job fits', () => {
    assert.deepEqual(timeoutWarnings(cfg({}), [job('a', 7200), job('b')]), []);
    assert.deepEqual(timeoutWarnings(cfg({ 'gateway.proxy_read_timeout': 3600 }), [job('a', 3600)]), []);
  });

  test('a ping interval not below the proxy read timeout is a warning of its own', () => {
    const w = timeoutWarnings(
      cfg({ 'gateway.proxy_read_timeout': 60, 'gateway.websocket.ping_interval': 60 }),
      [],
    );
    assert.equal(w.length, 1);
    assert.equal(w[0]!.job, '*');
    assert.match(w[0]!.message, /ping_interval \(60 s\) is not below gateway.proxy_read_timeout \(60 s\)/);
  });
});
