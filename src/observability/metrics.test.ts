/** @module Tests of the metric set: names, types, labels and registry isolation. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionFailureReason, createMetrics } from './metrics.js';

/** Seed section 10.1 plus the gateway's own metrics, with their Prometheus types. */
const EXPECTED_METRICS: ReadonlyArray<readonly [string, 'counter' | 'gauge' | 'histogram']> = [
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
  ['openclaw_ws_messages_total', 'counter'],
  ['openclaw_tasks_long_running_total', 'counter'],
  ['openclaw_cron_fires_total', 'counter'],
  ['openclaw_cron_missed_total', 'counter'],
  ['openclaw_llm_rate_limit_waits_total', 'counter'],
  ['openclaw_auth_failures_total', 'counter'],
  ['openclaw_build_info', 'gauge'],
];

describe('createMetrics', () => {
  test('registers every metric with its type', async () => {
    const m = createMetrics({ version: '1.2.3' });
    const text = await m.registry.metrics();
    for (const [name, type] of EXPECTED_METRICS) {
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
    }
    assert.match(text, /^openclaw_build_info\{version="1\.2\.3"\} 1$/m);
  });

  test('includes the standard process metrics unless turned off', async () => {
    const on = await createMetrics().registry.metrics();
    assert.match(on, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(on, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    const off = await createMetrics({ defaultMetrics: false }).registry.metrics();
    assert.doesNotMatch(off, /process_cpu_user_seconds_total/);
  });

  test('each call has its own registry, so counts do not bleed between instances', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.tasksCompleted.inc(3);
    assert.match(await a.registry.metrics(), /^openclaw_tasks_completed_total 3$/m);
    assert.match(await b.registry.metrics(), /^openclaw_tasks_completed_total 0$/m);
  });

  test('label sets start at zero so rate() and ratio alerts see a series from the first scrape', async () => {
    const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
    for (const p of ['critical', 'high', 'normal', 'low']) {
      assert.match(text, new RegExp(`^openclaw_tasks_queued\\{priority="${p}"\\} 0$`, 'm'));
    }
    assert.match(text, /^openclaw_gateway_connections_active\{role="node"\} 0$/m);
    assert.match(text, /^openclaw_gateway_connections_failed_total\{reason="auth"\} 0$/m);
    assert.match(text, /^openclaw_ws_messages_total\{direction="in"\} 0$/m);
  });

  test('records values with their labels and histogram buckets', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.llmRequests.inc({ provider: 'openai', model: 'gpt-4o', status: 'ok' });
    m.llmTokens.inc({ provider: 'openai', model: 'gpt-4o', direction: 'in' }, 120);
    m.llmLatency.observe({ provider: 'openai', model: 'gpt-4o' }, 31);
    m.taskDuration.observe(45.23);
    m.memoryEntries.inc(42);
    m.connectionsActive.inc({ role: 'operator' });
    const text = await m.registry.metrics();
    assert.match(text, /^openclaw_llm_requests_total\{provider="openai",model="gpt-4o",status="ok"\} 1$/m);
    assert.match(text, /^openclaw_llm_tokens_total\{provider="openai",model="gpt-4o",direction="in"\} 120$/m);
    // 31 s is above the seed alert's 30 s bound and lands in the next bucket.
    assert.match(
      text,
      /^openclaw_llm_latency_seconds_bucket\{le="30",provider="openai",model="gpt-4o"\} 0$/m,
    );
    assert.match(
      text,
      /^openclaw_llm_latency_seconds_bucket\{le="45",provider="openai",model="gpt-4o"\} 1$/m,
    );
    assert.match(text, /^openclaw_task_duration_seconds_bucket\{le="60"\} 1$/m);
    assert.match(text, /^openclaw_memory_entries_total 42$/m);
    assert.match(text, /^openclaw_gateway_connections_active\{role="operator"\} 1$/m);
  });

  test('rejects labels that were not declared', () => {
    const m = createMetrics({ defaultMetrics: false });
    assert.throws(() => m.tasksFailed.inc({ task_id: 'task-1' } as never, 1));
  });
});

describe('connectionFailureReason', () => {
  test('keeps known reasons and folds free text into "error"', () => {
    assert.equal(connectionFailureReason('auth'), 'auth');
    assert.equal(connectionFailureReason('handshake_timeout'), 'handshake_timeout');
    assert.equal(connectionFailureReason('ECONNRESET from 10.0.0.7'), 'error');
  });

  test('maps the catalogue codes a refused connection carries onto the bounded reasons', () => {
    assert.equal(connectionFailureReason('GW_ERR_AUTH_INVALID'), 'auth');
    assert.equal(connectionFailureReason('GW_ERR_AUTH_REQUIRED'), 'auth');
    assert.equal(connectionFailureReason('GW_ERR_AUTH_FORBIDDEN_ROLE'), 'forbidden_role');
    assert.equal(connectionFailureReason('GW_ERR_AUTH_RATE_LIMITED'), 'rate_limited');
    assert.equal(connectionFailureReason('GW_ERR_PROTOCOL_VERSION'), 'version');
    assert.equal(connectionFailureReason('GW_ERR_PROTOCOL_INVALID_PARAMS'), 'protocol');
    assert.equal(connectionFailureReason('GW_ERR_GATEWAY_INTERNAL'), 'error');
  });
});
