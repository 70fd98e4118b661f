/**
 * @module Turns `llm.providers` and the vendors' environment variables into the provider list the
 * coordinator runs with, and says clearly what to set when there is none.
 */
import type { LlmConfig } from '../config/index.js';
import { GatewayError } from '../protocol/index.js';
import type { ProviderSettings, ProviderType } from './provider-adapter.js';

/** The text of GW_ERR_LLM_NOT_CONFIGURED: what an operator must set for agent tasks to run. */
export const NOT_CONFIGURED_MESSAGE =
  'no LLM provider is configured: set OPENAI_API_KEY, ANTHROPIC_API_KEY or OLLAMA_HOST in the gateway environment ' +
  '(or add llm.providers to config.yaml) and restart the gateway';

export function notConfiguredError(): GatewayError {
  return new GatewayError('GW_ERR_LLM_NOT_CONFIGURED', { reason: NOT_CONFIGURED_MESSAGE });
}

/** What the environment contributes per built-in provider: key, base URL and which variables. */
const ENV_DEFAULTS: Record<'openai' | 'anthropic' | 'ollama', { key?: string; url: string }> = {
  openai: { key: 'OPENAI_API_KEY', url: 'OPENAI_BASE_URL' },
  anthropic: { key: 'ANTHROPIC_API_KEY', url: 'ANTHROPIC_BASE_URL' },
  ollama: { url: 'OLLAMA_HOST' },
};

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function typeFor(name: string, declared: ProviderType | undefined): ProviderType {
  if (declared) return declared;
  return name === 'openai' || name === 'anthropic' || name === 'ollama' ? name : 'openai-compatible';
}

function invalid(name: string, reason: string): GatewayError {
  return new GatewayError(
    'GW_ERR_CONFIG_INVALID',
    { key: `llm.providers.${name}`, reason },
    `invalid config: llm.providers.${name}: ${reason}`,
  );
}

type ProviderConfig = LlmConfig['providers'][string];

/** A provider named for a built-in type that the environment enables, with every limit at its default. */
function envProvider(): ProviderConfig {
  return {
    api_keys: [],
    models: [],
    requests_per_minute: 0,
    tokens_per_minute: 0,
    max_concurrent: 0,
    timeout: 120,
    max_tokens: 4096,
    max_queue: 1000,
  };
}

/**
 * The providers to run with. Configured ones come first, in config order; then `openai`, `anthropic`
 * and `ollama` are added from OPENAI_API_KEY, ANTHROPIC_API_KEY and OLLAMA_HOST when no provider of that
 * name is configured. A configured provider of a built-in type without key or URL takes them from the
 * same variables, as the vendors' SDKs do. Throws GW_ERR_CONFIG_INVALID for a provider that cannot work.
 */
export function resolveProviders(llm: LlmConfig, env: NodeJS.ProcessEnv = process.env): ProviderSettings[] {
  const entries: Array<[string, ProviderConfig]> = Object.entries(llm.providers);
  for (const name of ['openai', 'anthropic', 'ollama'] as const) {
    if (Object.hasOwn(llm.providers, name)) continue;
    const vars = ENV_DEFAULTS[name];
    const enabled = vars.key ? nonEmpty(env[vars.key]) : nonEmpty(env[vars.url]);
    if (enabled) entries.push([name, envProvider()]);
  }
  return entries.map(([name, p]) => {
    const type = typeFor(name, p.type);
    const vars = type === 'openai-compatible' ? undefined : ENV_DEFAULTS[type];
    const keys = [nonEmpty(p.api_key), ...p.api_keys.map(nonEmpty)].filter(
      (k): k is string => k !== undefined,
    );
    if (keys.length === 0 && vars?.key) {
      const fromEnv = nonEmpty(env[vars.key]);
      if (fromEnv) keys.push(fromEnv);
    }
    const baseUrl = nonEmpty(p.base_url) ?? (vars ? nonEmpty(env[vars.url]) : undefined);
    if ((type === 'openai' || type === 'anthropic') && keys.length === 0) {
      throw invalid(name, `no api_key; set it or ${vars?.key}`);
    }
    if (type === 'openai-compatible' && !baseUrl)
      throw invalid(name, 'an openai-compatible provider needs base_url');
    if (baseUrl !== undefined && type !== 'ollama' && !/^https?:\/\//i.test(baseUrl)) {
      throw invalid(name, `base_url must be an http(s) URL`);
    }
    return {
      name,
      type,
      apiKeys: keys.length > 0 ? [...new Set(keys)] : [undefined],
      ...(baseUrl ? { baseUrl } : {}),
      models: p.models,
      requestsPerMinute: p.requests_per_minute,
      tokensPerMinute: p.tokens_per_minute,
      maxConcurrent: p.max_concurrent,
      timeoutMs: Math.round(p.timeout * 1000),
      maxTokens: p.max_tokens,
      maxQueue: p.max_queue,
    };
  });
}
