/** @module Prometheus metrics of seed 10.1 (plus the gateway's own), each set in a fresh registry. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PRIORITIES } from '../protocol/index.js';

/**
 * Why a connection failed, the bounded label set of `openclaw_gateway_connections_failed_total`.
 * Anything else is counted as `error`; use `connectionFailureReason` to map free input.
 */
export const CONNECTION_FAILURE_REASONS = [
  'auth',
  'forbidden_role',
  'origin',
  'rate_limited',
  'protocol',
  'version',
  'handshake_timeout',
  'too_large',
  'ping_timeout',
  'draining',
  'error',
] as const;
export type ConnectionFailureReason = (typeof CONNECTION_FAILURE_REASONS)[number];

/** Connection roles, the label of `openclaw_gateway_connections_active`. */
export const CONNECTION_ROLES = ['operator', 'node'] as const;

/** Seconds; tasks run from seconds to the seed's 7200 s reports and beyond. */
export const TASK_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
/** Seconds; 30 is a bound because the seed's LLMLatencyHigh alert fires at a P95 above 30 s. */
export const LLM_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 120, 300];

export interface MetricsOptions {
  /** Value of the `version` label of `openclaw_build_info`. Default: 'unknown'. */
  version?: string;
  /** Also collect the standard Node.js process metrics (`process_*`, `nodejs_*`). Default: true. */
  defaultMetrics?: boolean;
}

/** Maps any string to the bounded reason set, so a label never carries free text. */
export function connectionFailureReason(reason: string): ConnectionFailureReason {
  if ((CONNECTION_FAILURE_REASONS as readonly string[]).includes(reason))
    return reason as ConnectionFailureReason;
  return BY_CODE[reason] ?? (reason.startsWith('GW_ERR_PROTOCOL_') ? 'protocol' : 'error');
}

/** Catalogue codes the gateway reports a refused connection with, folded into the bounded label set. */
const BY_CODE: Record<string, ConnectionFailureReason> = {
  GW_ERR_AUTH_REQUIRED: 'auth',
  GW_ERR_AUTH_INVALID: 'auth',
  GW_ERR_AUTH_FORBIDDEN_ROLE: 'forbidden_role',
  GW_ERR_AUTH_RATE_LIMITED: 'rate_limited',
  GW_ERR_AUTH_ORIGIN_FORBIDDEN: 'origin',
  GW_ERR_PROTOCOL_VERSION: 'version',
  GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT: 'handshake_timeout',
  GW_ERR_PROTOCOL_MESSAGE_TOO_LARGE: 'too_large',
  GW_ERR_GATEWAY_DRAINING: 'draining',
};

/** Creates a fresh registry holding every gateway metric, with label sets pre-initialised at zero. */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const m = {
    registry,
    // Connections
    connectionsTotal: new Counter({
      name: 'openclaw_gateway_connections_total',
      help: 'WebSocket connections accepted since start',
      registers,
    }),
    connectionsActive: new Gauge<'role'>({
      name: 'openclaw_gateway_connections_active',
      help: 'Authenticated WebSocket connections open now, by role',
      labelNames: ['role'],
      registers,
    }),
    connectionsFailed: new Counter<'reason'>({
      name: 'openclaw_gateway_connections_failed_total',
      help: 'WebSocket connections refused or dropped before or during the handshake, by reason',
      labelNames: ['reason'],
      registers,
    }),
    wsMessages: new Counter<'direction'>({
      name: 'openclaw_ws_messages_total',
      help: 'WebSocket frames, by direction (in|out)',
      labelNames: ['direction'],
      registers,
    }),
    authFailures: new Counter({
      name: 'openclaw_auth_failures_total',
      help: 'Failed authentications (WebSocket and REST)',
      registers,
    }),
    // Tasks
    tasksQueued: new Gauge<'priority'>({
      name: 'openclaw_tasks_queued',
      help: 'Tasks waiting in the queue, by priority',
      labelNames: ['priority'],
      registers,
    }),
    tasksRunning: new Gauge({ name: 'openclaw_tasks_running', help: 'Tasks running on nodes', registers }),
    tasksCompleted: new Counter({
      name: 'openclaw_tasks_completed_total',
      help: 'Tasks that ended succeeded',
      registers,
    }),
    tasksFailed: new Counter({
      name: 'openclaw_tasks_failed_total',
      help: 'Tasks that ended failed or timed out',
      registers,
    }),
    taskDuration: new Histogram({
      name: 'openclaw_task_duration_seconds',
      help: 'Run time of finished tasks, from start on a node to the end',
      buckets: TASK_DURATION_BUCKETS,
      registers,
    }),
    tasksLongRunning: new Counter({
      name: 'openclaw_tasks_long_running_total',
      help: 'Tasks that passed tasks.long_task_warning',
      registers,
    }),
    // LLM
    llmRequests: new Counter<'provider' | 'model' | 'status'>({
      name: 'openclaw_llm_requests_total',
      help: 'LLM requests, by provider, model and status (ok|error|rate_limited|timeout)',
      labelNames: ['provider', 'model', 'status'],
      registers,
    }),
    llmTokens: new Counter<'provider' | 'model' | 'direction'>({
      name: 'openclaw_llm_tokens_total',
      help: 'LLM tokens, by provider, model and direction (in = prompt, out = completion)',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    }),
    llmLatency: new Histogram<'provider' | 'model'>({
      name: 'openclaw_llm_latency_seconds',
      help: 'LLM response time, by provider and model',
      labelNames: ['provider', 'model'],
      buckets: LLM_LATENCY_BUCKETS,
      registers,
    }),
    llmRateLimitWaits: new Counter<'provider'>({
      name: 'openclaw_llm_rate_limit_waits_total',
      help: 'LLM requests that waited for a provider limit, by provider',
      labelNames: ['provider'],
      registers,
    }),
    // Memory and workspaces
    memoryEntries: new Counter({
      name: 'openclaw_memory_entries_total',
      help: 'Memory entries stored (incremented by the stored count at start, then per append)',
      registers,
    }),
    workspaceCount: new Gauge({ name: 'openclaw_workspace_count', help: 'Active workspaces', registers }),
    // Cron
    cronFires: new Counter({ name: 'openclaw_cron_fires_total', help: 'Cron slots fired', registers }),
    cronMissed: new Counter({
      name: 'openclaw_cron_missed_total',
      help: 'Cron slots missed (gateway down or overlap skipped)',
      registers,
    }),
    buildInfo: new Gauge<'version'>({
      name: 'openclaw_build_info',
      help: 'Always 1; the version label says which build runs',
      labelNames: ['version'],
      registers,
    }),
  };

  // Series exist from the first scrape, so rate() and the seed's failure-ratio alert see a 0, not nothing.
  for (const reason of CONNECTION_FAILURE_REASONS) m.connectionsFailed.inc({ reason }, 0);
  for (const role of CONNECTION_ROLES) m.connectionsActive.set({ role }, 0);
  for (const priority of PRIORITIES) m.tasksQueued.set({ priority }, 0);
  for (const direction of ['in', 'out']) m.wsMessages.inc({ direction }, 0);
  m.buildInfo.set({ version: options.version ?? 'unknown' }, 1);
  return m;
}

/** Every handle `createMetrics` returns. */
export type Metrics = ReturnType<typeof createMetrics>;
