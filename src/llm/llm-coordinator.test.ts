/**
 * @module The coordinator against loopback vendors through the real SDKs: limits under concurrent load,
 * retries honouring Retry-After, fallback chains, streaming, usage accounting and key scrubbing.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../observability/index.js';
import { GatewayError } from '../protocol/index.js';
import {
  sequence,
  startAnthropicVendor,
  startOllamaVendor,
  startOpenAiVendor,
  type RecordedRequest,
  type VendorServer,
} from '../../test/support/vendors/index.js';
import { LlmCoordinator, type LlmCoordinatorOptions } from './llm-coordinator.js';
import type { ProviderSettings, ProviderType } from './provider-adapter.js';

const servers: VendorServer[] = [];
const coordinators: LlmCoordinator[] = [];
afterEach(async () => {
  for (const c of coordinators.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
after(() => undefined);

async function track(p: Promise<VendorServer>): Promise<VendorServer> {
  const s = await p;
  servers.push(s);
  return s;
}

function provider(
  name: string,
  type: ProviderType,
  server: VendorServer,
  extra: Partial<ProviderSettings> = {},
): ProviderSettings {
  return {
    name,
    type,
    apiKeys: [type === 'ollama' ? undefined : `sk-${name}-key-0123456789abcdef`],
    baseUrl: type === 'openai' ? `${server.url}/v1` : server.url,
    models: [],
    requestsPerMinute: 0,
    tokensPerMinute: 0,
    maxConcurrent: 0,
    timeoutMs: 2000,
    maxTokens: 64,
    maxQueue: 100,
    ...extra,
  };
}

function coordinator(options: LlmCoordinatorOptions): LlmCoordinator {
  const c = new LlmCoordinator({ retry: { initialDelayMs: 10, maxDelayMs: 50 }, ...options });
  coordinators.push(c);
  return c;
}

const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user' as const, content: text }],
  ...extra,
});

const isCode = (code: string) => (e: unknown) => e instanceof GatewayError && e.code === code;

/** Largest number of requests, and of tokens, the vendor saw inside any window of `windowMs`. */
function peakPerWindow(
  requests: RecordedRequest[],
  windowMs: number,
  tokensOf: (r: RecordedRequest) => number,
) {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  let maxReq = 0;
  let maxTok = 0;
  for (let i = 0; i < sorted.length; i++) {
    let n = 0;
    let t = 0;
    for (let j = i; j < sorted.length && sorted[j]!.at < sorted[i]!.at + windowMs; j++) {
      n++;
      t += tokensOf(sorted[j]!);
    }
    maxReq = Math.max(maxReq, n);
    maxTok = Math.max(maxTok, t);
  }
  return { maxReq, maxTok };
}

describe('LlmCoordinator', () => {
  test('keeps N concurrent callers within R requests and T tokens per window, and none fails', async () => {
    const W = 300;
    const R = 5;
    const T = 60;
    const usage = { prompt: 8, completion: 6 }; // below the estimate of each call, as real counts are
    const server = await track(
      startOpenAiVendor(sequence({ kind: 'reply', text: 'ok', usage, delayMs: 15 })),
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const c = coordinator({
      providers: [
        provider('openai', 'openai', server, { requestsPerMinute: R, tokensPerMinute: T, maxConcurrent: 3 }),
      ],
      windowMs: W,
      metrics,
    });
    const N = 12;
    const results = await Promise.allSettled(
      Array.from({ length: N }, (_, i) =>
        c.chat(ask(`question ${i}`, { model: 'gpt-4o-mini', max_tokens: 10 })),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, JSON.stringify(failed));
    assert.equal(server.requests.length, N);
    const peak = peakPerWindow(server.requests, W, () => usage.prompt + usage.completion);
    assert.ok(peak.maxReq <= R, `saw ${peak.maxReq} requests in one window, limit ${R}`);
    assert.ok(peak.maxTok <= T, `saw ${peak.maxTok} tokens in one window, limit ${T}`);
    assert.ok(server.maxConcurrent() <= 3, `saw ${server.maxConcurrent()} concurrent calls`);
    const waits = await metrics.registry.getSingleMetricAsString('openclaw_llm_rate_limit_waits_total');
    assert.match(waits, /provider="openai"} ([1-9]\d*)/, 'calls that waited are counted');
  });

  test('falls back to the next provider when the first keeps answering 429', async () => {
    const a = await track(
      startOpenAiVendor(sequence({ kind: 'error', status: 429, message: 'Rate limit reached' })),
    );
    const b = await track(startAnthropicVendor(sequence({ kind: 'reply', text: 'from claude' })));
    const c = coordinator({
      providers: [provider('openai', 'openai', a), provider('anthropic', 'anthropic', b)],
      fallback: ['anthropic/claude-sonnet-4-5'],
    });
    const out = await c.chat(ask('hi', { model: 'openai/gpt-4o-mini' }));
    assert.equal(out.provider, 'anthropic');
    assert.equal(out.choices[0]?.message.content, 'from claude');
    assert.equal(a.requests.length, 3, 'the first attempt and two retries');
    assert.equal(b.requests.length, 1);
  });

  test('falls back when the first provider keeps answering 500, and says what was tried when all fail', async () => {
    const a = await track(startOpenAiVendor(sequence({ kind: 'error', status: 500, message: 'internal' })));
    const b = await track(startOllamaVendor(sequence({ kind: 'reply', text: 'from llama' })));
    const c = coordinator({
      providers: [provider('openai', 'openai', a), provider('ollama', 'ollama', b)],
      fallback: ['ollama/llama3.2'],
      retry: { maxRetries: 1, initialDelayMs: 5 },
    });
    const out = await c.chat(ask('hi', { model: 'gpt-4o-mini' }));
    assert.equal(out.provider, 'ollama');
    assert.equal(a.requests.length, 2);

    b.setScript(sequence({ kind: 'error', status: 503, message: 'loading model' }));
    await assert.rejects(c.chat(ask('hi', { model: 'gpt-4o-mini' })), (e: unknown) => {
      assert.ok(isCode('GW_ERR_LLM_PROVIDER_ERROR')(e));
      const body = (e as GatewayError).toBody();
      assert.equal(body.retryable, true);
      assert.deepEqual(body.details?.tried, ['openai/gpt-4o-mini', 'ollama/llama3.2']);
      assert.match(body.message, /^ollama: HTTP 503/);
      return true;
    });
  });

  test('honours Retry-After before retrying the same provider', async () => {
    const a = await track(
      startOpenAiVendor(
        sequence(
          { kind: 'error', status: 429, headers: { 'retry-after': '1' }, message: 'Rate limit reached' },
          { kind: 'reply', text: 'after the wait' },
        ),
      ),
    );
    const c = coordinator({ providers: [provider('openai', 'openai', a)] });
    const out = await c.chat(ask('hi'));
    assert.equal(out.choices[0]?.message.content, 'after the wait');
    assert.equal(a.requests.length, 2);
    const gap = a.requests[1]!.at - a.requests[0]!.at;
    assert.ok(gap >= 1000 && gap < 3000, `retried after ${gap} ms, Retry-After said 1 s`);
  });

  test('falls back at once when Retry-After is longer than max_retry_after', async () => {
    const a = await track(
      startOpenAiVendor(sequence({ kind: 'error', status: 429, headers: { 'retry-after': '120' } })),
    );
    const b = await track(startOllamaVendor(sequence({ kind: 'reply', text: 'local answer' })));
    const c = coordinator({
      providers: [provider('openai', 'openai', a), provider('ollama', 'ollama', b)],
      fallback: ['ollama/llama3.2'],
      retry: { maxRetryAfterMs: 5000 },
    });
    const t0 = Date.now();
    const out = await c.chat(ask('hi', { model: 'gpt-4o-mini' }));
    assert.equal(out.provider, 'ollama');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(a.requests.length, 1);
  });

  test('does not fall back on a 400: the request itself is wrong', async () => {
    const a = await track(
      startOpenAiVendor(sequence({ kind: 'error', status: 400, message: 'bad temperature' })),
    );
    const b = await track(startOllamaVendor(sequence({ kind: 'reply', text: 'x' })));
    const c = coordinator({
      providers: [provider('openai', 'openai', a), provider('ollama', 'ollama', b)],
      fallback: ['ollama/llama3.2'],
    });
    await assert.rejects(c.chat(ask('hi', { model: 'gpt-4o-mini' })), isCode('GW_ERR_LLM_PROVIDER_REJECTED'));
    assert.equal(b.requests.length, 0);
  });

  test('retries malformed bodies and reset connections on the same provider', async () => {
    const a = await track(
      startAnthropicVendor(
        sequence({ kind: 'malformed' }, { kind: 'reset' }, { kind: 'reply', text: 'third time' }),
      ),
    );
    const c = coordinator({ providers: [provider('anthropic', 'anthropic', a)] });
    const out = await c.chat(ask('hi'));
    assert.equal(out.choices[0]?.message.content, 'third time');
    assert.equal(a.requests.length, 3);
  });

  test('times out a hung provider, retries, then fails with a retryable error', async () => {
    const a = await track(startOllamaVendor(sequence({ kind: 'hang' })));
    const c = coordinator({
      providers: [provider('ollama', 'ollama', a, { timeoutMs: 150 })],
      retry: { maxRetries: 1, initialDelayMs: 5 },
    });
    const t0 = Date.now();
    await assert.rejects(
      c.chat(ask('hi')),
      (e: unknown) =>
        isCode('GW_ERR_LLM_PROVIDER_ERROR')(e) && (e as GatewayError).details.kind === 'timeout',
    );
    assert.equal(a.requests.length, 2);
    assert.ok(Date.now() - t0 >= 290);
  });

  test('streams deltas in order and never retries once deltas went out', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => `t${i} `);
    const a = await track(startOpenAiVendor(sequence({ kind: 'stream', chunks, chunkDelayMs: 2 })));
    // Long enough that the first chunk beats the attempt timeout on a loaded CI machine; a timeout before
    // any delta may legitimately be retried, which is not what this test is about.
    const c = coordinator({ providers: [provider('openai', 'openai', a, { timeoutMs: 1500 })] });
    const seen: string[] = [];
    const out = await c.chat(ask('stream please'), { onDelta: (t) => seen.push(t) });
    assert.deepEqual(seen, chunks);
    assert.equal(out.choices[0]?.message.content, chunks.join(''));

    a.setScript(sequence({ kind: 'stream-hang', chunks: ['half '] }));
    const before = a.requests.length;
    const partial: string[] = [];
    await assert.rejects(
      c.chat(ask('again'), { onDelta: (t) => partial.push(t) }),
      isCode('GW_ERR_LLM_PROVIDER_ERROR'),
    );
    assert.deepEqual(partial, ['half ']);
    assert.equal(a.requests.length - before, 1, 'no second attempt after deltas were passed on');
  });

  test('counts usage per provider, model, workspace and task, in metrics and in the answer', async () => {
    const a = await track(
      startOpenAiVendor(sequence({ kind: 'reply', text: 'x', usage: { prompt: 30, completion: 12 } })),
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const c = coordinator({ providers: [provider('openai', 'openai', a)], metrics });
    const out = await c.chat(ask('a', { model: 'gpt-4o', workspace: 'reports', task_id: 't-1' }));
    await c.chat(ask('b', { model: 'gpt-4o', workspace: 'reports', task_id: 't-2' }));
    assert.deepEqual(out.usage, { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 });
    assert.equal(c.usage.task('t-1')?.total_tokens, 42);
    assert.deepEqual(c.usage.workspace('reports'), {
      requests: 2,
      prompt_tokens: 60,
      completion_tokens: 24,
      total_tokens: 84,
    });
    assert.equal(c.usage.snapshot().models['openai/gpt-4o']?.requests, 2);
    const tokens = await metrics.registry.getSingleMetricAsString('openclaw_llm_tokens_total');
    assert.match(
      tokens,
      /direction="in",provider="openai",model="gpt-4o"} 60|provider="openai",model="gpt-4o",direction="in"} 60/,
    );
    const reqs = await metrics.registry.getSingleMetricAsString('openclaw_llm_requests_total');
    assert.match(reqs, /status="ok"} 2/);
  });

  test('never puts a provider key in the error it returns', async () => {
    const key = 'plainsecret-0123456789-abcdef';
    const a = await track(
      startOpenAiVendor(
        sequence({
          kind: 'error',
          status: 401,
          message: `Incorrect API key provided: ${key}. Find yours at ...`,
        }),
      ),
    );
    const c = coordinator({ providers: [provider('openai', 'openai', a, { apiKeys: [key] })] });
    const err = await c.chat(ask('hi')).then(
      () => assert.fail('must fail'),
      (e: unknown) => e as GatewayError,
    );
    assert.equal(err.code, 'GW_ERR_LLM_PROVIDER_REJECTED');
    assert.equal(a.requests[0]!.headers.authorization, `Bearer ${key}`, 'the key did reach the vendor');
    const wire = JSON.stringify({ ...err.toBody(), stack: err.stack });
    assert.ok(!wire.includes(key), wire);
    assert.match(wire, /\[REDACTED\]/);
  });

  test('refuses callers beyond max_queue and cancels queued calls on abort', async () => {
    const a = await track(startOpenAiVendor(sequence({ kind: 'reply', text: 'slow', delayMs: 150 })));
    const c = coordinator({
      providers: [provider('openai', 'openai', a, { maxConcurrent: 1, maxQueue: 1 })],
    });
    const first = c.chat(ask('1'));
    const ac = new AbortController();
    const second = c.chat(ask('2'), { signal: ac.signal });
    await assert.rejects(c.chat(ask('3')), isCode('GW_ERR_LLM_QUEUE_FULL'));
    ac.abort();
    await assert.rejects(second, isCode('GW_ERR_TASK_CANCELLED'));
    await first;
    assert.equal(a.requests.length, 1);
  });

  test('answers GW_ERR_LLM_NOT_CONFIGURED without providers, naming the env vars', async () => {
    const c = coordinator({ providers: [] });
    assert.equal(c.configured, false);
    await assert.rejects(
      c.chat(ask('hi')),
      (e: unknown) =>
        isCode('GW_ERR_LLM_NOT_CONFIGURED')(e) &&
        /OPENAI_API_KEY.*ANTHROPIC_API_KEY.*OLLAMA_HOST/.test((e as Error).message),
    );
  });
});
