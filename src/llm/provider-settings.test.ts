/** @module Tests of provider resolution from llm.providers and the vendors' environment variables. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LlmConfigSchema } from '../config/index.js';
import { GatewayError } from '../protocol/index.js';
import { NOT_CONFIGURED_MESSAGE, notConfiguredError, resolveProviders } from './provider-settings.js';

const cfg = (llm: unknown) => LlmConfigSchema.parse(llm);

describe('resolveProviders', () => {
  test('adds openai, anthropic and ollama from their env vars, with base URLs', () => {
    const out = resolveProviders(cfg({}), {
      OPENAI_API_KEY: 'sk-env-openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
      ANTHROPIC_API_KEY: 'sk-ant-env',
      OLLAMA_HOST: 'http://ollama:11434',
    });
    assert.deepEqual(
      out.map((p) => [p.name, p.type, p.apiKeys, p.baseUrl]),
      [
        ['openai', 'openai', ['sk-env-openai'], 'http://127.0.0.1:1/v1'],
        ['anthropic', 'anthropic', ['sk-ant-env'], undefined],
        ['ollama', 'ollama', [undefined], 'http://ollama:11434'],
      ],
    );
    assert.equal(out[0]!.timeoutMs, 120_000);
  });

  test('configured providers come first, take missing keys from env, and keep their limits', () => {
    const out = resolveProviders(
      cfg({
        providers: {
          openai: { requests_per_minute: 60, tokens_per_minute: 90000, max_concurrent: 4, timeout: 30 },
          groq: {
            base_url: 'https://api.groq.com/openai/v1',
            api_key: 'gsk-1',
            api_keys: ['gsk-2'],
            models: ['llama'],
          },
        },
      }),
      { OPENAI_API_KEY: 'sk-env', ANTHROPIC_API_KEY: '' },
    );
    assert.deepEqual(
      out.map((p) => p.name),
      ['openai', 'groq'],
    );
    assert.deepEqual(
      [
        out[0]!.apiKeys,
        out[0]!.requestsPerMinute,
        out[0]!.tokensPerMinute,
        out[0]!.maxConcurrent,
        out[0]!.timeoutMs,
      ],
      [['sk-env'], 60, 90000, 4, 30_000],
    );
    assert.equal(out[1]!.type, 'openai-compatible');
    assert.deepEqual(out[1]!.apiKeys, ['gsk-1', 'gsk-2']);
  });

  test('returns nothing when nothing is set, and the not-configured error names the variables', () => {
    assert.deepEqual(resolveProviders(cfg({}), {}), []);
    const err = notConfiguredError();
    assert.equal(err.code, 'GW_ERR_LLM_NOT_CONFIGURED');
    assert.equal(err.message, NOT_CONFIGURED_MESSAGE);
    for (const v of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OLLAMA_HOST'])
      assert.match(err.message, new RegExp(v));
  });

  test('refuses providers that cannot work, naming the key', () => {
    const isConfig = (re: RegExp) => (e: unknown) =>
      e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_INVALID' && re.test(e.message);
    assert.throws(
      () => resolveProviders(cfg({ providers: { anthropic: {} } }), {}),
      isConfig(/llm\.providers\.anthropic: no api_key; set it or ANTHROPIC_API_KEY/),
    );
    assert.throws(
      () => resolveProviders(cfg({ providers: { vllm: {} } }), {}),
      isConfig(/llm\.providers\.vllm: .*needs base_url/),
    );
    assert.throws(
      () =>
        resolveProviders(
          cfg({ providers: { x: { type: 'openai', api_key: 'k', base_url: 'ftp://x' } } }),
          {},
        ),
      isConfig(/http\(s\) URL/),
    );
  });

  test('the schema rejects unknown provider keys and names with a slash', () => {
    assert.equal(LlmConfigSchema.safeParse({ providers: { openai: { api_kee: 'x' } } }).success, false);
    assert.equal(LlmConfigSchema.safeParse({ providers: { 'a/b': {} } }).success, false);
    assert.equal(
      LlmConfigSchema.safeParse({ providers: { openai: { requests_per_minute: -1 } } }).success,
      false,
    );
  });
});
