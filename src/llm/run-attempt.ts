/** @module One provider call under a deadline: the SDK call, our timeout, and what went wrong if it failed. */
import type { ChatRequest } from './chat-types.js';
import type { AttemptResult, ProviderAdapter } from './provider-adapter.js';
import { classifyProviderError, type ClassifiedFailure } from './provider-errors.js';

export interface AttemptSpec {
  adapter: ProviderAdapter;
  model: string;
  request: ChatRequest;
  apiKey: string | undefined;
  /** For a plain call the whole exchange; for a stream the longest gap between chunks. */
  timeoutMs: number;
  /** Aborts the call from outside (caller cancellation, gateway stop). */
  signals: ReadonlyArray<AbortSignal | undefined>;
  onDelta?: (text: string) => void;
}

export type AttemptOutcome =
  { ok: true; result: AttemptResult } | { ok: false; failure: ClassifiedFailure; aborted: boolean };

/**
 * Runs one attempt. Never throws: a failure comes back classified, with `aborted` set when an outside
 * signal (not our timeout) ended it. The timeout is ours rather than the SDK's so all three SDKs behave
 * alike (the Ollama one has none), and so a stream that keeps talking is not cut off mid-answer.
 */
export async function runAttempt(spec: AttemptSpec): Promise<AttemptOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${spec.timeoutMs} ms`, 'TimeoutError'));
    }, spec.timeoutMs);
  };
  const cleanups: Array<() => void> = [];
  for (const s of spec.signals) {
    if (!s) continue;
    if (s.aborted) controller.abort(s.reason);
    const onAbort = (): void => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  arm();
  try {
    const result = await spec.adapter.chat(spec.model, spec.request, {
      apiKey: spec.apiKey,
      signal: controller.signal,
      ...(spec.onDelta ? { onDelta: spec.onDelta, onActivity: arm } : {}),
    });
    if (controller.signal.aborted) throw controller.signal.reason;
    return { ok: true, result };
  } catch (err) {
    if (timedOut) {
      return {
        ok: false,
        aborted: false,
        failure: { kind: 'timeout', action: 'retry', message: `no answer within ${spec.timeoutMs} ms` },
      };
    }
    if (controller.signal.aborted) {
      return { ok: false, aborted: true, failure: { kind: 'aborted', action: 'fail', message: 'cancelled' } };
    }
    return { ok: false, aborted: false, failure: classifyProviderError(err) };
  } finally {
    if (timer) clearTimeout(timer);
    for (const c of cleanups) c();
  }
}
