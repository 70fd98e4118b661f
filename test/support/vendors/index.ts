/** @module Test support: loopback servers that speak the OpenAI, Anthropic and Ollama wire formats. */
export * from './vendor-server.js';
export { openAiEncoding, startOpenAiVendor } from './openai-vendor.js';
export { anthropicEncoding, startAnthropicVendor } from './anthropic-vendor.js';
export { ollamaEncoding, startOllamaVendor } from './ollama-vendor.js';
