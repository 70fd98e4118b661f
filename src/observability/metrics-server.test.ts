/** @module Tests of the Prometheus listener, served on a real loopback port. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../protocol/index.js';
import { createMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

/** Every metric of seed section 10.1, with the type its name and description call for. */
const SEED_10_1: ReadonlyArray<readonly [string, string]> = [
  ['openclaw_gateway_connections_total', 'counter'],
  ['openclaw_gateway_connections_active', 'gauge'],
  ['openclaw_gateway_connections_failed_total', 'counter'],
  ['openclaw_tasks_queued', 'gauge'],
  ['openclaw_tasks_running', 'gauge'],
  ['openclaw_tasks_completed_total', 'counter'],
  ['openclaw_tasks_failed_total', 'counter'],
  ['openclaw_task_duration_seconds', 'histogram'],
  ['openclaw_llm_requests_total', 'counter'],
  ['openclaw_llm_tokens_total', 'counter'],
  ['openclaw_llm_latency_seconds', 'histogram'],
  ['openclaw_memory_entries_total', 'counter'],
  ['openclaw_workspace_count', 'gauge'],
];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: MetricsServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(opts: Partial<Parameters<typeof startMetricsServer>[0]> = {}) {
  const metrics = createMetrics({ version: '9.9.9' });
  const server = await startMetricsServer({ port: 0, registry: metrics.registry, ...opts });
  servers.push(server);
  return { metrics, server };
}

describe('startMetricsServer', () => {
  test('serves every seed 10.1 metric with its TYPE line and the exposition content-type', async () => {
    const { server, metrics } = await start();
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    metrics.tasksRunning.set(2);
    const res = await http(server.url);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    for (const [name, type] of SEED_10_1) {
      assert.match(res.body, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} ${type}`);
    }
    assert.match(res.body, /^openclaw_tasks_running 2$/m);
    assert.match(res.body, /^process_resident_memory_bytes \d+/m);
  });

  test('reflects changes between scrapes and ignores the query string', async () => {
    const { server, metrics } = await start();
    metrics.tasksCompleted.inc();
    assert.match((await http(server.url)).body, /^openclaw_tasks_completed_total 1$/m);
    metrics.tasksCompleted.inc(4);
    assert.match((await http(`${server.url}?x=1`)).body, /^openclaw_tasks_completed_total 5$/m);
  });

  test('answers 404 on other paths and 405 on other methods', async () => {
    const { server } = await start({ path: '/prom' });
    const base = server.url.replace(/\/prom$/, '');
    assert.equal((await http(`${base}/metrics`)).status, 404);
    assert.equal((await http(`${base}/`)).status, 404);
    assert.equal((await http(`${base}/prom/extra`)).status, 404);
    const post = await http(server.url, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const head = await http(server.url, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('a failing collector answers 500 instead of hanging the scrape', async () => {
    const { server, metrics } = await start();
    metrics.registry.registerMetric({
      name: 'broken',
      get: () => Promise.reject(new Error('collector exploded')),
    } as never);
    const res = await http(server.url);
    assert.equal(res.status, 500);
    assert.match(res.body, /collector exploded/);
  });

  test('rejects with GW_ERR_CONFIG_PORT_IN_USE when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await assert.rejects(
        startMetricsServer({ port, registry: createMetrics({ defaultMetrics: false }).registry }),
        (e: unknown) =>
          e instanceof GatewayError &&
          e.code === 'GW_ERR_CONFIG_PORT_IN_USE' &&
          e.message ===
            `metrics port ${port} on 127.0.0.1 is already in use; set metrics.port to a free port`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  test('rejects an invalid port or path with a message naming the key', async () => {
    const registry = createMetrics({ defaultMetrics: false }).registry;
    await assert.rejects(
      startMetricsServer({ port: 70000, registry }),
      /metrics\.port: 70000 is not allowed/,
    );
    await assert.rejects(
      startMetricsServer({ port: 0, path: 'metrics', registry }),
      /metrics\.path: "metrics"/,
    );
  });

  test('close() frees the port, even with a keep-alive connection open', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await startMetricsServer({ port: 0, registry: metrics.registry });
    const port = Number(new URL(server.url).port);
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      request(server.url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
        .on('error', reject)
        .end(),
    );
    await server.close();
    agent.destroy();
    const again = await startMetricsServer({ port, registry: metrics.registry });
    servers.push(again);
    assert.equal(again.url, server.url);
  });
});
