/** @module The Anthropic provider through the official `@anthropic-ai/sdk`. */
import type Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest } from './chat-types.js';
import { clientPerKey } from './client-per-key.js';
import {
  AnthropicStreamAccumulator,
  fromAnthropicMessage,
  toAnthropicRequest,
} from './anthropic-translate.js';
import type { AttemptOptions, AttemptResult, ProviderAdapter, ProviderSettings } from './provider-adapter.js';

/** Imported on the first call, like the OpenAI SDK (see openai-adapter.ts). */
let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;

export function createAnthropicAdapter(settings: ProviderSettings): ProviderAdapter {
  const client = clientPerKey(async (apiKey): Promise<Anthropic> => {
    const { default: Sdk } = await (sdk ??= import('@anthropic-ai/sdk'));
    return new Sdk({
      // An explicit key keeps the SDK from reading profiles or ANTHROPIC_AUTH_TOKEN on its own.
      apiKey: apiKey ?? '',
      ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      // Our retry loop owns backoff; SDK retries would multiply attempts and hide 429s.
      maxRetries: 0,
      timeout: settings.timeoutMs,
      logLevel: 'off',
    });
  });
  return {
    type: 'anthropic',
    async chat(model: string, request: ChatRequest, options: AttemptOptions): Promise<AttemptResult> {
      const body = toAnthropicRequest(model, request, settings.maxTokens);
      const api = await client(options.apiKey);
      if (!options.onDelta) {
        const params = { ...body, stream: false } as unknown as Anthropic.MessageCreateParamsNonStreaming;
        const msg = await api.messages.create(params, { signal: options.signal });
        return fromAnthropicMessage(msg, model);
      }
      const params = { ...body, stream: true } as unknown as Anthropic.MessageCreateParamsStreaming;
      const stream = await api.messages.create(params, { signal: options.signal });
      const acc = new AnthropicStreamAccumulator();
      for await (const event of stream) {
        options.onActivity?.();
        acc.push(event, options.onDelta);
      }
      return acc.result(model);
    },
  };
}
