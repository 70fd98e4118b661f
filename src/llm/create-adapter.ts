/** @module Picks the SDK adapter for a provider's type. */
import { createAnthropicAdapter } from './anthropic-adapter.js';
import { createOllamaAdapter } from './ollama-adapter.js';
import { createOpenAiAdapter } from './openai-adapter.js';
import type { ProviderAdapter, ProviderSettings } from './provider-adapter.js';

export function createProviderAdapter(settings: ProviderSettings): ProviderAdapter {
  switch (settings.type) {
    case 'anthropic':
      return createAnthropicAdapter(settings);
    case 'ollama':
      return createOllamaAdapter(settings);
    case 'openai':
    case 'openai-compatible':
      return createOpenAiAdapter(settings);
  }
}
