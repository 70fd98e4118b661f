/** @module Turning an aborted signal into the task outcome it stands for (timeout or cancellation). */
import { GatewayError } from '../protocol/index.js';

/**
 * The GatewayError an aborted run ends with. The abort reason decides: a GatewayError passes through
 * (the runtime knows best which timeout fired), a DOM `TimeoutError` (as from `AbortSignal.timeout`)
 * is a task timeout, anything else is a cancellation.
 */
export function abortErrorFrom(signal: AbortSignal, timeoutMs?: number): GatewayError {
  const reason: unknown = signal.reason;
  if (reason instanceof GatewayError) return reason;
  if (isNamedError(reason, 'TimeoutError')) {
    if (timeoutMs === undefined) {
      return new GatewayError('GW_ERR_TASK_TIMEOUT', { which: 'task' }, 'task exceeded its timeout');
    }
    return new GatewayError('GW_ERR_TASK_TIMEOUT', { which: 'task', seconds: timeoutMs / 1000 });
  }
  let text = 'aborted';
  if (typeof reason === 'string' && reason !== '') text = reason;
  else if (reason instanceof Error && reason.message !== '' && !isNamedError(reason, 'AbortError')) {
    text = reason.message;
  }
  return new GatewayError('GW_ERR_TASK_CANCELLED', { reason: text });
}

/** True for the errors that abortable Node and DOM APIs throw when their signal fires. */
export function isAbortError(err: unknown): boolean {
  return isNamedError(err, 'AbortError') || isNamedError(err, 'TimeoutError');
}

function isNamedError(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
}

/** Resolves after `ms`, or rejects with `abortErrorFrom(signal)` as soon as the signal fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortErrorFrom(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A controller that aborts when any parent signal does, with the parent's reason. Hand-rolled rather
 * than `AbortSignal.any` so Node 20.0-20.2 work too. Call `unlink` when done so parents that outlive
 * the run do not keep listeners.
 */
export function linkedController(parents: readonly AbortSignal[]): {
  controller: AbortController;
  unlink: () => void;
} {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener('abort', onAbort));
  }
  return { controller, unlink: () => cleanups.forEach((c) => c()) };
}

/**
 * Settles like `promise`, unless the signal fires first: then rejects with `abortErrorFrom(signal)`.
 * The promise keeps running; callers use this where the work is shared (a browser launch) or cannot
 * be interrupted, and clean up separately.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, timeoutMs?: number): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortErrorFrom(signal, timeoutMs));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortErrorFrom(signal, timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
