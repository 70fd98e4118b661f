/** @module The Anthropic provider through the official `@anthropic-ai/sdk`. */
import Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest } from './chat-types.js';
import {
  AnthropicStreamAccumulator,
  fromAnthropicMessage,
  toAnthropicRequest,
} from './anthropic-translate.js';
import type { AttemptOptions, AttemptResult, ProviderAdapter, ProviderSettings } from './provider-adapter.js';

export function createAnthropicAdapter(settings: ProviderSettings): ProviderAdapter {
  const clients = new Map<string, Anthropic>();
  const client = (apiKey: string | undefined): Anthropic => {
    const id = apiKey ?? '';
    let c = clients.get(id);
    if (!c) {
      c = new Anthropic({
        // An explicit key keeps the SDK from reading profiles or ANTHROPIC_AUTH_TOKEN on its own.
        apiKey: apiKey ?? '',
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        // Our retry loop owns backoff; SDK retries would multiply attempts and hide 429s.
        maxRetries: 0,
        timeout: settings.timeoutMs,
        logLevel: 'off',
      });
      clients.set(id, c);
    }
    return c;
  };
  return {
    type: 'anthropic',
    async chat(model: string, request: ChatRequest, options: AttemptOptions): Promise<AttemptResult> {
      const body = toAnthropicRequest(model, request, settings.maxTokens);
      const sdk = client(options.apiKey);
      if (!options.onDelta) {
        const params = { ...body, stream: false } as unknown as Anthropic.MessageCreateParamsNonStreaming;
        const msg = await sdk.messages.create(params, { signal: options.signal });
        return fromAnthropicMessage(msg, model);
      }
      const params = { ...body, stream: true } as unknown as Anthropic.MessageCreateParamsStreaming;
      const stream = await sdk.messages.create(params, { signal: options.signal });
      const acc = new AnthropicStreamAccumulator();
      for await (const event of stream) {
        options.onActivity?.();
        acc.push(event, options.onDelta);
      }
      return acc.result(model);
    },
  };
}
