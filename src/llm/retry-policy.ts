/** @module The one retry policy of LLM calls: exponential backoff with jitter, bounded by Retry-After. */

export interface RetryPolicy {
  /** Retries of one provider after the first attempt. Default 2. */
  maxRetries: number;
  /** First backoff delay. Default 500 ms. */
  initialDelayMs: number;
  /** Cap of the backoff delay. Default 30000 ms. */
  maxDelayMs: number;
  /** Longest Retry-After waited for; beyond it the call falls back at once. Default 60000 ms. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `retry` (0 for the first): the exponential step, of which the upper half is
 * random ("equal jitter"), so callers that failed together do not come back together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, retry));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
