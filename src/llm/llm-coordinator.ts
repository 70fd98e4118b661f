/**
 * @module The gateway's LLM coordinator: routes a chat call to a provider, waits for that provider's
 * limits, retries and falls back as errors dictate, and counts usage. Keys never leave it.
 */
import { GatewayError } from '../protocol/index.js';
import { redactText, registerSecret } from '../observability/index.js';
import { contentText, usageOf, type ChatCompletion, type ChatRequest, type Usage } from './chat-types.js';
import { createProviderAdapter } from './create-adapter.js';
import { ModelRouter, type Route } from './model-router.js';
import type { ProviderAdapter, ProviderSettings } from './provider-adapter.js';
import type { ClassifiedFailure } from './provider-errors.js';
import { notConfiguredError } from './provider-settings.js';
import { ProviderLimiter } from './rate-limiter.js';
import { DEFAULT_RETRY_POLICY, backoffDelay, sleep, type RetryPolicy } from './retry-policy.js';
import { runAttempt } from './run-attempt.js';
import { estimatePromptTokens, estimateTextTokens } from './token-estimate.js';
import { UsageLedger } from './usage-ledger.js';

/** The metric handles the coordinator feeds (a subset of observability's `Metrics`). */
export interface LlmMetrics {
  llmRequests: { inc(labels: { provider: string; model: string; status: string }, value?: number): void };
  llmTokens: { inc(labels: { provider: string; model: string; direction: string }, value?: number): void };
  llmLatency: { observe(labels: { provider: string; model: string }, seconds: number): void };
  llmRateLimitWaits: { inc(labels: { provider: string }, value?: number): void };
}

/** A pino-compatible logger. */
export interface LlmLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of `LlmCoordinator`. */
export interface LlmCoordinatorOptions {
  providers: readonly ProviderSettings[];
  /** `llm.aliases`. Default: none. */
  aliases?: Record<string, string>;
  /** `llm.default_model`. Default: the first provider's first model. */
  defaultModel?: string;
  /** `llm.fallback`. Default: none. */
  fallback?: readonly string[];
  /** Default `DEFAULT_RETRY_POLICY` (2 retries, 0.5 s doubling to 30 s, Retry-After up to 60 s). */
  retry?: Partial<RetryPolicy>;
  /** Longest wait for a provider's limits; 0 = none. Default 300000 ms. */
  queueTimeoutMs?: number;
  /** The "minute" of requests/min and tokens/min; tests shrink it. Default 60000 ms. */
  windowMs?: number;
  /** Default: no metrics. */
  metrics?: LlmMetrics;
  /** Default: no logs. */
  logger?: LlmLogger;
  /** Adapters by provider name, replacing the SDK ones (tests, benchmarks). Default: from each type. */
  adapters?: Record<string, ProviderAdapter>;
  /** Jitter source. Default `Math.random`. */
  random?: () => number;
}

/** Per-call options of `chat`. */
export interface ChatCallOptions {
  /** Cancels the call, queued or in flight. */
  signal?: AbortSignal;
  /** When set the call streams, and every text delta arrives here in order. */
  onDelta?: (text: string) => void;
  /** Accounting; default `request.workspace`. */
  workspace?: string;
  /** Accounting; default `request.task_id`. */
  taskId?: string;
  /** For logs: the node that asked. */
  nodeId?: string;
}

interface Provider {
  settings: ProviderSettings;
  adapter: ProviderAdapter;
  limiter: ProviderLimiter;
}

type Failed = { route: Route; failure: ClassifiedFailure; attempts: number };

/** The state of one `chat` call across its routes. */
interface Call {
  request: ChatRequest;
  options: ChatCallOptions;
  promptEstimate: number;
  workspace: string | undefined;
  taskId: string | undefined;
  /** Set once a delta went out; from then on the call cannot be retried anywhere. */
  streamed: boolean;
  tried: Route[];
}

const FALLBACK_KINDS = new Set(['auth', 'not_found', 'quota']);

function statusLabel(f: ClassifiedFailure): string {
  if (f.kind === 'rate_limited' || f.kind === 'quota') return 'rate_limited';
  return f.kind === 'timeout' ? 'timeout' : 'error';
}

export class LlmCoordinator {
  readonly usage = new UsageLedger();
  private readonly providers = new Map<string, Provider>();
  private readonly router: ModelRouter;
  private readonly retry: RetryPolicy;
  private readonly queueTimeoutMs: number;
  private readonly metrics: LlmMetrics | undefined;
  private readonly log: LlmLogger | undefined;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(options: LlmCoordinatorOptions) {
    for (const s of options.providers) {
      for (const k of s.apiKeys) registerSecret(k);
      const limiter = new ProviderLimiter({
        provider: s.name,
        keys: s.apiKeys.length,
        requestsPerWindow: s.requestsPerMinute,
        tokensPerWindow: s.tokensPerMinute,
        maxConcurrent: s.maxConcurrent,
        maxQueue: s.maxQueue,
        ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
      });
      const adapter = options.adapters?.[s.name] ?? createProviderAdapter(s);
      this.providers.set(s.name, { settings: s, adapter, limiter });
    }
    this.router = new ModelRouter(options.providers, {
      ...(options.aliases ? { aliases: options.aliases } : {}),
      ...(options.defaultModel ? { defaultModel: options.defaultModel } : {}),
      ...(options.fallback ? { fallback: options.fallback } : {}),
    });
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.queueTimeoutMs = options.queueTimeoutMs ?? 300_000;
    this.metrics = options.metrics;
    this.log = options.logger;
    this.random = options.random ?? Math.random;
  }

  /** Whether any provider is configured; without one every call fails with GW_ERR_LLM_NOT_CONFIGURED. */
  get configured(): boolean {
    return this.providers.size > 0;
  }

  /** Provider names with type and models, safe to log or show (no keys, no URLs). */
  describe(): Array<{ name: string; type: string; models: readonly string[]; keys: number }> {
    return [...this.providers.values()].map(({ settings: s }) => ({
      name: s.name,
      type: s.type,
      models: s.models,
      keys: s.apiKeys.filter(Boolean).length,
    }));
  }

  /** Calls waiting for a provider's limits now, by provider. */
  queued(): Record<string, number> {
    return Object.fromEntries([...this.providers].map(([n, p]) => [n, p.limiter.queued]));
  }

  /** One chat completion, routed, rate-limited, retried and falling back as configured. */
  chat(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatCompletion> {
    const p = this.run(request, options);
    this.running.add(p);
    const done = (): boolean => this.running.delete(p);
    p.then(done, done);
    return p;
  }

  private async run(request: ChatRequest, options: ChatCallOptions): Promise<ChatCompletion> {
    if (!this.configured) throw notConfiguredError();
    if (this.stopping.signal.aborted) throw new GatewayError('GW_ERR_GATEWAY_DRAINING');
    const routes = this.router.candidates(request.model, request.provider);
    const call: Call = {
      request,
      options,
      promptEstimate: estimatePromptTokens(request),
      workspace: options.workspace ?? request.workspace,
      taskId: options.taskId ?? request.task_id,
      streamed: false,
      tried: [],
    };
    let last: Failed | undefined;
    for (const [i, route] of routes.entries()) {
      call.tried.push(route);
      const out = await this.tryRoute(route, call, i === routes.length - 1);
      if ('completion' in out) return out.completion;
      last = out.failed ?? last;
      if (i < routes.length - 1) {
        this.log?.info(
          {
            event: 'llm_fallback',
            from: `${route.provider}/${route.model}`,
            to: `${routes[i + 1]!.provider}/${routes[i + 1]!.model}`,
            kind: out.failed?.failure.kind ?? 'queue',
          },
          'falling back',
        );
      }
    }
    throw last
      ? this.toError(last, call.tried)
      : new GatewayError('GW_ERR_LLM_QUEUE_FULL', { provider: routes.at(-1)?.provider });
  }

  /**
   * Attempts one route with retries. Resolves with the completion, or with why the next route should
   * be tried (`failed` absent when the provider's queue refused the call); throws when the call must
   * end here (cancelled, a request error, deltas already sent, or the queue refusing the last route).
   */
  private async tryRoute(
    route: Route,
    call: Call,
    isLast: boolean,
  ): Promise<{ completion: ChatCompletion } | { failed?: Failed }> {
    const { request, options } = call;
    const provider = this.providers.get(route.provider)!;
    const s = provider.settings;
    const estimate =
      call.promptEstimate + (request.max_completion_tokens ?? request.max_tokens ?? s.maxTokens);
    const onDelta = options.onDelta
      ? (text: string) => {
          call.streamed = true;
          options.onDelta!(text);
        }
      : undefined;
    // Set by the first admission; retries pass it to keep their place in the queue.
    let ticket: number | undefined;
    for (let attempt = 1; ; attempt++) {
      let permit;
      try {
        permit = await provider.limiter.acquire(estimate, {
          signal: options.signal,
          timeoutMs: this.queueTimeoutMs,
          ...(ticket !== undefined ? { ticket } : {}),
        });
      } catch (err) {
        if (options.signal?.aborted) throw this.cancelled(options.signal);
        // A provider that cannot take the call in time is as good as down: try the next one.
        if (err instanceof GatewayError && !isLast) {
          this.log?.warn({ event: 'llm_queue_skipped', provider: s.name, code: err.code }, err.message);
          return {};
        }
        throw err;
      }
      ticket = permit.ticket;
      if (permit.waitedMs > 0) this.metrics?.llmRateLimitWaits.inc({ provider: s.name });
      const t0 = performance.now();
      const outcome = await runAttempt({
        adapter: provider.adapter,
        model: route.model,
        request,
        apiKey: s.apiKeys[permit.keyIndex],
        timeoutMs: s.timeoutMs,
        signals: [options.signal, this.stopping.signal],
        ...(onDelta ? { onDelta } : {}),
      });
      if (outcome.ok) {
        const r = outcome.result;
        const usage =
          r.usage ?? this.estimatedUsage(call.promptEstimate, r.choices[0]?.message.content ?? null);
        permit.release(usage.total_tokens);
        const ms = performance.now() - t0;
        this.account(route, usage, ms / 1000, call.workspace, call.taskId);
        this.log?.debug(
          {
            event: 'llm_call',
            provider: s.name,
            model: route.model,
            task_id: call.taskId,
            workspace: call.workspace,
            node_id: options.nodeId,
            duration_ms: Math.round(ms),
            llm_tokens: usage.total_tokens,
            attempt,
          },
          'llm call',
        );
        const { id, created, model, choices } = r;
        return {
          completion: { id, object: 'chat.completion', created, model, choices, usage, provider: s.name },
        };
      }
      const f = outcome.failure;
      // A failed exchange with a status was refused before any generation; one without may have run.
      permit.release(f.status !== undefined ? 0 : estimate);
      if (outcome.aborted) {
        if (options.signal?.aborted) throw this.cancelled(options.signal);
        throw new GatewayError('GW_ERR_GATEWAY_DRAINING');
      }
      this.metrics?.llmRequests.inc({ provider: s.name, model: route.model, status: statusLabel(f) });
      if (f.retryAfterMs !== undefined)
        provider.limiter.cooldown(permit.keyIndex, Date.now() + f.retryAfterMs);
      this.log?.warn(
        {
          event: 'llm_attempt_failed',
          provider: s.name,
          model: route.model,
          task_id: call.taskId,
          kind: f.kind,
          status: f.status,
          retry_after_ms: f.retryAfterMs,
          attempt,
        },
        redactText(f.message),
      );
      const failed: Failed = { route, failure: f, attempts: attempt };
      // Deltas already went out: another attempt, here or elsewhere, would send them again.
      if (call.streamed || f.action === 'fail') throw this.toError(failed, call.tried);
      const tooLong = f.retryAfterMs !== undefined && f.retryAfterMs > this.retry.maxRetryAfterMs;
      if (f.action === 'fallback' || attempt > this.retry.maxRetries || tooLong) return { failed };
      // With Retry-After the key's cooldown makes acquire wait (or pick another key); else back off.
      if (f.retryAfterMs === undefined) {
        await sleep(backoffDelay(attempt - 1, this.retry, this.random), options.signal).catch(() => {
          throw this.cancelled(options.signal!);
        });
      }
    }
  }

  private estimatedUsage(prompt: number, content: string | null): Usage {
    return usageOf(prompt, estimateTextTokens(contentText(content)));
  }

  private account(route: Route, usage: Usage, seconds: number, workspace?: string, taskId?: string): void {
    const labels = { provider: route.provider, model: route.model };
    this.metrics?.llmRequests.inc({ ...labels, status: 'ok' });
    this.metrics?.llmTokens.inc({ ...labels, direction: 'in' }, usage.prompt_tokens);
    this.metrics?.llmTokens.inc({ ...labels, direction: 'out' }, usage.completion_tokens);
    this.metrics?.llmLatency.observe(labels, seconds);
    this.usage.record(
      { ...labels, ...(workspace ? { workspace } : {}), ...(taskId ? { taskId } : {}) },
      usage,
    );
  }

  private cancelled(signal: AbortSignal): GatewayError {
    const r: unknown = signal.reason;
    if (r instanceof GatewayError) return r;
    return new GatewayError('GW_ERR_TASK_CANCELLED', { reason: 'the LLM call was cancelled' });
  }

  /** The caller-facing error: scrubbed text, and a code that says whether trying later can help. */
  private toError(last: Failed, tried: Route[]): GatewayError {
    const f = last.failure;
    const transient = f.action === 'retry' || (f.action === 'fail' && f.kind === 'unknown');
    const code =
      transient && !FALLBACK_KINDS.has(f.kind) ? 'GW_ERR_LLM_PROVIDER_ERROR' : 'GW_ERR_LLM_PROVIDER_REJECTED';
    const text = f.status !== undefined ? f.message.replace(new RegExp(`^${f.status}\\s*`), '') : f.message;
    const reason = redactText(f.status !== undefined ? `HTTP ${f.status}: ${text}` : text);
    return new GatewayError(code, {
      provider: last.route.provider,
      model: last.route.model,
      kind: f.kind,
      ...(f.status !== undefined ? { status: f.status } : {}),
      attempts: last.attempts,
      tried: tried.map((r) => `${r.provider}/${r.model}`),
      reason,
    });
  }

  /** Waits for calls in flight, up to `deadline` (epoch ms). */
  async drain(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (this.running.size === 0 || left <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => (timer = setTimeout(r, left))),
    ]);
    clearTimeout(timer);
  }

  /** Rejects waiting calls and aborts those in flight with GW_ERR_GATEWAY_DRAINING. */
  close(): void {
    const err = new GatewayError('GW_ERR_GATEWAY_DRAINING');
    for (const p of this.providers.values()) p.limiter.close(err);
    this.stopping.abort(err);
  }
}
