/**
 * @module Classifies what an SDK threw into retry (same provider, after a wait), fallback (next provider
 * in the chain) or fail (give up), by error kind, HTTP status and `Retry-After`.
 */
import { MalformedResponseError } from './provider-adapter.js';

export type FailureKind =
  | 'rate_limited'
  | 'quota'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'malformed'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'aborted'
  | 'unknown';

export type FailureAction = 'retry' | 'fallback' | 'fail';

export interface ClassifiedFailure {
  kind: FailureKind;
  action: FailureAction;
  status?: number;
  /** From `retry-after-ms` or `Retry-After` (seconds or HTTP-date), when the vendor sent one. */
  retryAfterMs?: number;
  /** The vendor's text, NOT yet scrubbed of secrets. */
  message: string;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, unknown>;
  for (const [k, v] of Object.entries(rec)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

/**
 * Milliseconds to wait according to the response headers: `retry-after-ms` (OpenAI, Anthropic) wins over
 * `Retry-After`, which is either delta-seconds or an HTTP-date (RFC 9110 10.2.3). Undefined when absent
 * or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(headers: unknown, now = Date.now()): number | undefined {
  const ms = headerOf(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const raw = headerOf(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function codeChain(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

function messageChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 3 && cur; i++) {
    if (cur instanceof Error) parts.push(cur.message);
    else if (typeof cur === 'string') parts.push(cur);
    cur = cur && typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined;
  }
  const text = parts.filter(Boolean).join(': ') || String(err);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function byStatus(status: number, body: string): Pick<ClassifiedFailure, 'kind' | 'action'> {
  if (status === 429) {
    // OpenAI answers 429 both for "slow down" and for "out of credit"; only the first passes with time.
    return /insufficient_quota|exceeded your current quota|billing/i.test(body)
      ? { kind: 'quota', action: 'fallback' }
      : { kind: 'rate_limited', action: 'retry' };
  }
  if (status === 529 || status === 503) return { kind: 'overloaded', action: 'retry' };
  if (status === 408 || status === 425 || status === 409 || status >= 500)
    return { kind: 'server', action: 'retry' };
  if (status === 401 || status === 403) return { kind: 'auth', action: 'fallback' };
  // 404 is an unknown model or a wrong base URL: another provider may serve the request.
  if (status === 404) return { kind: 'not_found', action: 'fallback' };
  return { kind: 'bad_request', action: 'fail' };
}

/** Classifies one failed attempt. `now` is only used for HTTP-date `Retry-After` values. */
export function classifyProviderError(err: unknown, now = Date.now()): ClassifiedFailure {
  const message = messageChain(err);
  const e = err as { status?: unknown; status_code?: unknown; headers?: unknown; name?: unknown } | null;
  const rawStatus = e && typeof e === 'object' ? (e.status ?? e.status_code) : undefined;
  const status = typeof rawStatus === 'number' && rawStatus >= 100 ? rawStatus : undefined;
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(e?.headers, now);
    return {
      ...byStatus(status, message),
      status,
      message,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const name = typeof e?.name === 'string' ? e.name : '';
  if (name === 'APIConnectionTimeoutError' || name === 'TimeoutError')
    return { kind: 'timeout', action: 'retry', message };
  if (name === 'APIUserAbortError' || name === 'AbortError')
    return { kind: 'aborted', action: 'fail', message };
  // The last one is the Ollama SDK's complaint about a stream that ended early.
  if (
    err instanceof MalformedResponseError ||
    err instanceof SyntaxError ||
    /did not receive done/i.test(message)
  ) {
    return { kind: 'malformed', action: 'retry', message };
  }
  const codes = codeChain(err);
  if (
    name === 'APIConnectionError' ||
    codes.some((c) => CONNECTION_CODES.has(c)) ||
    /fetch failed|socket hang up|other side closed|terminated|ECONNRESET/i.test(message)
  ) {
    return { kind: 'connection', action: 'retry', message };
  }
  // A streamed error event (Anthropic `overloaded_error`, say) arrives without a status.
  if (/overloaded|rate.?limit/i.test(message)) return { kind: 'overloaded', action: 'retry', message };
  return { kind: 'unknown', action: 'fail', message };
}
