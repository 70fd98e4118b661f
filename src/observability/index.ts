/** @module Observability: structured logs with redaction, Prometheus metrics and their listener. */
/** Child loggers are plain pino loggers; other layers take this type instead of importing pino. */
export type { Logger } from 'pino';
export {
  createLogger,
  createMemoryLogger,
  type GatewayLogger,
  type LogFields,
  type LoggerOptions,
  type MemoryLogger,
} from './logger.js';
export {
  LOG_LEVELS,
  defaultLogOutputs,
  type FileOutput,
  type LogFormat,
  type LogLevel,
  type LogOutput,
  type StderrOutput,
  type StdoutOutput,
  type StreamOutput,
} from './log-outputs.js';
export { formatPretty, type PrettyOptions } from './pretty-format.js';
export {
  REDACTED,
  MIN_SECRET_LENGTH,
  clearRegisteredSecrets,
  createRedactor,
  isSensitiveKey,
  redactText,
  redactValue,
  registerSecret,
  type Redactor,
  type RedactorOptions,
} from './redact.js';
export {
  CONNECTION_FAILURE_REASONS,
  CONNECTION_ROLES,
  LLM_LATENCY_BUCKETS,
  TASK_DURATION_BUCKETS,
  connectionFailureReason,
  createMetrics,
  type ConnectionFailureReason,
  type Metrics,
  type MetricsOptions,
} from './metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
