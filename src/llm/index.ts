/** @module LLM coordination (SPEC R7): providers through their SDKs, limits, retries, routing, the agent loop. */
export {
  contentText,
  usageOf,
  type ChatChoice,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ChatTool,
  type ContentPart,
  type FinishReason,
  type ToolCall,
  type ToolChoice,
  type Usage,
} from './chat-types.js';
export {
  PROVIDER_TYPES,
  HttpStatusError,
  MalformedResponseError,
  type AttemptOptions,
  type AttemptResult,
  type ProviderAdapter,
  type ProviderSettings,
  type ProviderType,
} from './provider-adapter.js';
export { createProviderAdapter } from './create-adapter.js';
export { createOpenAiAdapter } from './openai-adapter.js';
export { createAnthropicAdapter } from './anthropic-adapter.js';
export { createOllamaAdapter } from './ollama-adapter.js';
export { toAnthropicRequest, fromAnthropicMessage } from './anthropic-translate.js';
export { toOllamaRequest, fromOllamaResponse } from './ollama-translate.js';
export {
  classifyProviderError,
  parseRetryAfter,
  type ClassifiedFailure,
  type FailureAction,
  type FailureKind,
} from './provider-errors.js';
export {
  ProviderLimiter,
  type AcquireOptions,
  type Permit,
  type ProviderLimiterOptions,
} from './rate-limiter.js';
export { DEFAULT_RETRY_POLICY, backoffDelay, type RetryPolicy } from './retry-policy.js';
export { estimatePromptTokens, estimateRequestTokens, estimateTextTokens } from './token-estimate.js';
export { ModelRouter, type ModelRouterOptions, type Route } from './model-router.js';
export { NOT_CONFIGURED_MESSAGE, notConfiguredError, resolveProviders } from './provider-settings.js';
export { UsageLedger, type UsageKeys, type UsageSnapshot, type UsageTotals } from './usage-ledger.js';
export {
  LlmCoordinator,
  type ChatCallOptions,
  type LlmCoordinatorOptions,
  type LlmLogger,
  type LlmMetrics,
} from './llm-coordinator.js';
export { createLlmService, type LlmServiceOptions } from './llm-service.js';
export {
  DEFAULT_AGENT_SYSTEM_PROMPT,
  runAgent,
  type AgentResult,
  type AgentSkills,
  type AgentStep,
  type RunAgentOptions,
} from './agent-loop.js';
export {
  createAgentRunner,
  memoryRecord,
  type AgentGatewayClient,
  type AgentRunnerOptions,
  type AgentTaskResult,
} from './agent-runner.js';
export { llmSummarizer, type SummarizeRequest } from './summarizer.js';
