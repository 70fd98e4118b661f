/** @module The gateway service that answers `llm.chat`: nodes ask, the gateway calls the provider. */
import type { ServiceFactory } from '../gateway/index.js';
import type { ChatRequest } from './chat-types.js';
import { LlmCoordinator } from './llm-coordinator.js';
import type { ProviderAdapter } from './provider-adapter.js';
import { NOT_CONFIGURED_MESSAGE, resolveProviders } from './provider-settings.js';

/** Options of `createLlmService`. */
export interface LlmServiceOptions {
  /**
   * Receives the text deltas of calls made with `stream: true` and a `task_id`, in order; the integrator
   * turns them into task progress events. Default: none, and such calls are then made without streaming.
   */
  onDelta?: (taskId: string, text: string) => void;
  /** Where OPENAI_API_KEY, ANTHROPIC_API_KEY, OLLAMA_HOST and the base URLs are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The "minute" of the per-minute limits; tests shrink it. Default 60000 ms. */
  windowMs?: number;
  /** Adapters by provider name replacing the SDK ones (tests, benchmarks). Default: none. */
  adapters?: Record<string, ProviderAdapter>;
  /** Hands over the coordinator, e.g. to the built-in local node so it can skip the socket. Default: none. */
  onReady?: (coordinator: LlmCoordinator) => void;
}

/**
 * Builds the `llm` service: resolves providers from `llm.*` and the environment (a bad provider stops
 * start-up with GW_ERR_CONFIG_INVALID), registers `llm.chat`, and drains calls in flight on shutdown.
 * With no provider the method still exists and answers GW_ERR_LLM_NOT_CONFIGURED, so an agent task fails
 * at once with a message naming the variables to set.
 */
export function createLlmService(options: LlmServiceOptions = {}): ServiceFactory {
  return (ctx) => {
    const log = ctx.logger.child({ component: 'llm' });
    const llm = ctx.config.llm;
    const coordinator = new LlmCoordinator({
      providers: resolveProviders(llm, options.env ?? process.env),
      aliases: llm.aliases,
      ...(llm.default_model ? { defaultModel: llm.default_model } : {}),
      fallback: llm.fallback,
      retry: {
        maxRetries: llm.retry.max_retries,
        initialDelayMs: llm.retry.initial_delay * 1000,
        maxDelayMs: llm.retry.max_delay * 1000,
        maxRetryAfterMs: llm.retry.max_retry_after * 1000,
      },
      queueTimeoutMs: llm.queue_timeout * 1000,
      ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
      metrics: ctx.metrics,
      logger: log,
      ...(options.adapters ? { adapters: options.adapters } : {}),
    });
    if (coordinator.configured) {
      log.info({ event: 'llm_providers', providers: coordinator.describe() }, 'LLM providers ready');
    } else {
      log.warn({ event: 'llm_not_configured' }, NOT_CONFIGURED_MESSAGE);
    }

    ctx.server.router.register('llm.chat', (params, call) => {
      const request = params as unknown as ChatRequest;
      const taskId = request.task_id;
      const onDelta = options.onDelta;
      const streams = request.stream === true && taskId !== undefined && onDelta !== undefined;
      return coordinator.chat(request, {
        ...(streams ? { onDelta: (text: string) => onDelta(taskId, text) } : {}),
        ...(call.nodeId ? { nodeId: call.nodeId } : {}),
      });
    });
    options.onReady?.(coordinator);

    return {
      name: 'llm',
      drain: (deadline: number) => coordinator.drain(deadline),
      stop: async () => coordinator.close(),
    };
  };
}
