/**
 * @module Integration: a real Prometheus, configured from deploy/monitoring/prometheus.yml, scrapes a
 * real gateway. Every seed 10.1 metric is exported with a fitting type, and each one the gateway
 * drives changes when its event happens (connections, bad tokens, finished and failed tasks, queue
 * and running gauges, cron fires), including right after a restart with tasks still queued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { GatewayClient } from '../../../src/client/index.js';
import type { Task } from '../../../src/protocol/index.js';
import { startTestGateway, submit, waitForTask, type TestGateway } from '../../support/scheduler-harness.js';
import { freePort, startPrometheus, type Prometheus, type PromSample } from './prometheus-process.js';

/** Seed 10.1, with the type each must have. */
const SEED_METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  openclaw_gateway_connections_total: 'counter',
  openclaw_gateway_connections_active: 'gauge',
  openclaw_gateway_connections_failed_total: 'counter',
  openclaw_tasks_queued: 'gauge',
  openclaw_tasks_running: 'gauge',
  openclaw_tasks_completed_total: 'counter',
  openclaw_tasks_failed_total: 'counter',
  openclaw_task_duration_seconds: 'histogram',
  openclaw_llm_requests_total: 'counter',
  openclaw_llm_tokens_total: 'counter',
  openclaw_llm_latency_seconds: 'histogram',
  openclaw_memory_entries_total: 'counter',
  openclaw_workspace_count: 'gauge',
};

const sum = (s: PromSample[]) => s.reduce((a, x) => a + x.value, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Prometheus scrapes the gateway (seed 10.1 metrics)', () => {
  let g: TestGateway;
  let prom: Prometheus;
  let metricsPort: number;
  const clients: GatewayClient[] = [];

  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };
  /** The value Prometheus holds for `expr` (summed over series), once a scrape newer than `since` has it. */
  const fresh = async (expr: string, pred: (v: number) => boolean, what: string, since = Date.now()) => {
    const samples = await prom.waitFor(
      `(${expr}) and on() (timestamp(up{job="openclaw-gateway"}) > ${since / 1000})`,
      (s) => s.length > 0 && pred(sum(s)),
      what,
    );
    return sum(samples);
  };
  const operator = async () => {
    const c = new GatewayClient({
      url: g.gw.wsUrl,
      token: g.token('operator'),
      role: 'operator',
      client: { name: 'metrics-test', version: '1' },
      reconnect: { enabled: false },
      keepalive: { enabled: false },
    });
    await c.connect();
    clients.push(c);
    return c;
  };

  before(async () => {
    metricsPort = await freePort();
    g = await startTestGateway(
      { gateway: { local_node: { capabilities: ['echo'], concurrency: 1 } } },
      { OPENCLAW_METRICS_PORT: String(metricsPort) },
    );
    prom = await startPrometheus(`127.0.0.1:${metricsPort}`);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await prom?.stop();
    await g?.close();
  });

  test('up{job="openclaw-gateway"} becomes 1 through the shipped scrape config', async () => {
    const up = await prom.waitFor('up{job="openclaw-gateway"}', (s) => s[0]?.value === 1, 'up == 1', 30_000);
    assert.equal(up.length, 1);
    assert.equal(up[0]!.labels.instance, `127.0.0.1:${metricsPort}`);
  });

  test('every seed 10.1 metric is exported with its type, and Prometheus stores the labelled ones', async () => {
    const text = await scrape();
    for (const [name, type] of Object.entries(SEED_METRICS))
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
    const stored = await prom.waitFor(
      'count by (__name__) ({__name__=~"openclaw_.*"})',
      (s) => s.length > 5,
      'openclaw series in the TSDB',
    );
    const names = new Set(stored.map((s) => s.labels.__name__));
    for (const n of [
      'openclaw_gateway_connections_total',
      'openclaw_gateway_connections_active',
      'openclaw_gateway_connections_failed_total',
      'openclaw_tasks_queued',
      'openclaw_tasks_running',
      'openclaw_tasks_completed_total',
      'openclaw_tasks_failed_total',
      'openclaw_task_duration_seconds_count',
    ])
      assert.ok(names.has(n), `${n} is scraped (have ${[...names].join(', ')})`);
    assert.ok(!names.has('process_cpu_seconds_total'), 'the shipped relabelling keeps only openclaw_*');
  });

  test('promtool check metrics finds nothing but the seed name and the Node.js runtime names', async () => {
    const res = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
    const problems = `${res.stdout}${res.stderr}`
      .split('\n')
      .filter(Boolean)
      // Both are fixed elsewhere: the seed names openclaw_workspace_count, prom-client names nodejs_*.
      .filter((l) => !/^openclaw_workspace_count |^nodejs_active_\w+_total /.test(l));
    assert.deepEqual(problems, []);
  });

  test('an operator connection moves connections_total and connections_active; closing it lowers active', async () => {
    const since = Date.now();
    const total0 = await fresh('openclaw_gateway_connections_total', () => true, 'a first scrape', since);
    const active0 = await fresh('openclaw_gateway_connections_active{role="operator"}', () => true, 'active');
    const c = await operator();
    await fresh('openclaw_gateway_connections_total', (v) => v >= total0 + 1, 'connections_total + 1');
    await fresh(
      'openclaw_gateway_connections_active{role="operator"}',
      (v) => v === active0 + 1,
      'active + 1',
    );
    await c.close();
    await fresh('openclaw_gateway_connections_active{role="operator"}', (v) => v === active0, 'active back');
  });

  test('a bad token raises connections_failed_total{reason="auth"}', async () => {
    const before0 = await fresh(
      'openclaw_gateway_connections_failed_total{reason="auth"}',
      () => true,
      'baseline',
    );
    const bad = new GatewayClient({
      url: g.gw.wsUrl,
      token: 'not-a-token',
      role: 'operator',
      reconnect: { enabled: false },
      keepalive: { enabled: false },
    });
    await assert.rejects(
      bad.connect(),
      (err: unknown) => (err as { code?: string }).code === 'GW_ERR_AUTH_INVALID',
    );
    await bad.close().catch(() => undefined);
    await fresh(
      'openclaw_gateway_connections_failed_total{reason="auth"}',
      (v) => v === before0 + 1,
      'connections_failed_total{reason="auth"} + 1',
    );
  });

  test('a finished task counts in completed_total and the duration histogram; a failing one in failed_total', async () => {
    const c = await operator();
    const done0 = await fresh('openclaw_tasks_completed_total', () => true, 'baseline');
    const failed0 = await fresh('openclaw_tasks_failed_total', () => true, 'baseline');
    const count0 = await fresh('openclaw_task_duration_seconds_count', () => true, 'baseline');
    const ok = await submit(c, { skill: 'echo', args: { message: 'hi', delay_ms: 1200 } });
    assert.equal((await waitForTask(c, ok.id)).status, 'succeeded');
    const bad = await submit(c, { skill: 'echo', args: { fail: 'boom' } });
    assert.equal((await waitForTask(c, bad.id)).status, 'failed');
    await fresh('openclaw_tasks_completed_total', (v) => v === done0 + 1, 'completed_total + 1');
    await fresh('openclaw_tasks_failed_total', (v) => v === failed0 + 1, 'failed_total + 1');
    await fresh('openclaw_task_duration_seconds_count', (v) => v === count0 + 2, 'duration count + 2');
    // The 1.2 s echo lands above the 1 s bucket.
    const le1 = await fresh('openclaw_task_duration_seconds_bucket{le="1"}', () => true, 'le=1 bucket');
    const le5 = await fresh('openclaw_task_duration_seconds_bucket{le="5"}', () => true, 'le=5 bucket');
    assert.ok(le5 - le1 >= 1, `le5 ${le5} le1 ${le1}`);
  });

  test('queued and running follow a node with one slot', async () => {
    const c = await operator();
    const slow = await submit(c, { skill: 'echo', args: { delay_ms: 6000 } });
    await waitForTask(c, slow.id, (t) => t.status === 'running');
    const waiting: Task[] = [];
    for (const priority of ['high', 'normal', 'normal'])
      waiting.push(await submit(c, { skill: 'echo', priority, args: { message: priority } }));
    await fresh('openclaw_tasks_running', (v) => v === 1, 'running == 1');
    await fresh('openclaw_tasks_queued{priority="normal"}', (v) => v === 2, 'queued{normal} == 2');
    await fresh('openclaw_tasks_queued{priority="high"}', (v) => v === 1, 'queued{high} == 1');
    for (const t of waiting) await waitForTask(c, t.id);
    await fresh('openclaw_tasks_queued', (v) => v === 0, 'queue empty');
    await fresh('openclaw_tasks_running', (v) => v === 0, 'nothing running');
  });

  test('after a kill -9 and restart with tasks queued, the gauges are right from the first scrape', async () => {
    const c = await operator();
    // No node offers gpu, so these stay queued across the restart.
    for (const priority of ['high', 'high', 'low'])
      await submit(c, { skill: 'echo', priority, capabilities: ['gpu'], args: { message: 'q' } });
    await fresh('openclaw_tasks_queued{priority="high"}', (v) => v === 2, 'queued{high} == 2 before');
    await g.gw.stop('SIGKILL');
    await g.restart();
    const restarted = Date.now();
    const first = await scrape();
    assert.match(first, /^openclaw_tasks_queued\{priority="high"\} 2$/m);
    assert.match(first, /^openclaw_tasks_queued\{priority="low"\} 1$/m);
    assert.match(first, /^openclaw_tasks_running 0$/m);
    await prom.waitFor('up{job="openclaw-gateway"}', (s) => s[0]?.value === 1, 'up again');
    await fresh(
      'openclaw_tasks_queued{priority="high"}',
      (v) => v === 2,
      'queued{high} == 2 after',
      restarted,
    );
    await fresh('openclaw_tasks_queued{priority="low"}', (v) => v === 1, 'queued{low} == 1 after', restarted);
  });

  test('cron fires are counted in openclaw_cron_fires_total', async () => {
    const c = await operator();
    const fires0 = await fresh('openclaw_cron_fires_total', () => true, 'baseline');
    await c.request('cron.add', {
      name: 'metrics-every-second',
      schedule: '* * * * * *',
      skill: 'echo',
      args: { message: 'tick' },
    } as never);
    await sleep(2500);
    await fresh('openclaw_cron_fires_total', (v) => v >= fires0 + 2, 'cron_fires_total + 2');
  });
});
