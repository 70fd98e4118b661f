/** @module Tests of error classification and Retry-After parsing. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpStatusError, MalformedResponseError } from './provider-adapter.js';
import { classifyProviderError, parseRetryAfter } from './provider-errors.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  test('reads delta-seconds, fractions included', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' }), now), 3000);
    assert.equal(parseRetryAfter({ 'Retry-After': '0.25' }, now), 250);
  });
  test('reads an HTTP-date relative to now, and a past date as 0', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now), 5000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now), 0);
  });
  test('prefers retry-after-ms, and ignores garbage', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '120', 'retry-after': '9' }), now), 120);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(new Headers(), now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('classifyProviderError', () => {
  const http = (status: number, body = '', headers: Record<string, string> = {}) =>
    classifyProviderError(new HttpStatusError(status, new Headers(headers), body));

  test('retries 429, 5xx and Anthropic 529, with the Retry-After wait', () => {
    assert.deepEqual(
      { ...http(429, 'slow down', { 'retry-after': '2' }), message: '' },
      { kind: 'rate_limited', action: 'retry', status: 429, retryAfterMs: 2000, message: '' },
    );
    for (const s of [500, 502, 503, 504, 529, 408]) assert.equal(http(s).action, 'retry', `status ${s}`);
  });
  test('falls back on 401, 403, 404 and an exhausted quota; fails on other 4xx', () => {
    for (const s of [401, 403, 404]) assert.equal(http(s).action, 'fallback', `status ${s}`);
    assert.deepEqual(
      [http(429, 'You exceeded your current quota').kind, http(429, 'insufficient_quota').action],
      ['quota', 'fallback'],
    );
    for (const s of [400, 413, 422]) assert.equal(http(s).action, 'fail', `status ${s}`);
  });
  test('reads the Ollama SDK status_code', () => {
    const err = Object.assign(new Error('model "x" not found'), { status_code: 404 });
    assert.equal(classifyProviderError(err).kind, 'not_found');
  });
  test('retries timeouts, dropped connections and malformed bodies; fails unknown errors', () => {
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    assert.equal(classifyProviderError(reset).kind, 'connection');
    assert.equal(classifyProviderError(new DOMException('t', 'TimeoutError')).kind, 'timeout');
    assert.equal(classifyProviderError(new MalformedResponseError('x')).action, 'retry');
    assert.equal(classifyProviderError(new SyntaxError('Unexpected end of JSON input')).kind, 'malformed');
    assert.deepEqual(
      [
        classifyProviderError(new RangeError('bug')).kind,
        classifyProviderError(new RangeError('bug')).action,
      ],
      ['unknown', 'fail'],
    );
  });
});
