/** @module The one catalogue of gateway errors: stable codes with HTTP status, close code and retry flag. */

export interface ErrorSpec {
  /** HTTP status used when the error is answered over REST. */
  readonly status: number;
  /** WebSocket close code, where the error ends the connection. */
  readonly close?: number;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  /** Message template; `{name}` placeholders are filled from the details. */
  readonly message: string;
}

export const ERRORS = {
  GW_ERR_PROTOCOL_INVALID_FRAME: {
    status: 400,
    close: 1007,
    retryable: false,
    message: 'invalid frame: {reason}',
  },
  GW_ERR_PROTOCOL_HANDSHAKE_REQUIRED: {
    status: 400,
    close: 1008,
    retryable: false,
    message: 'the first frame must be a connect request',
  },
  GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT: {
    status: 408,
    close: 1008,
    retryable: true,
    message: 'handshake not completed within {timeout_ms} ms',
  },
  GW_ERR_PROTOCOL_VERSION: {
    status: 400,
    close: 4400,
    retryable: false,
    message: 'protocol range {min}..{max} not supported; this gateway speaks {supported}',
  },
  GW_ERR_PROTOCOL_UNKNOWN_METHOD: { status: 404, retryable: false, message: 'unknown method {method}' },
  GW_ERR_PROTOCOL_INVALID_PARAMS: { status: 400, retryable: false, message: 'invalid params: {reason}' },
  GW_ERR_PROTOCOL_MESSAGE_TOO_LARGE: {
    status: 413,
    close: 1009,
    retryable: false,
    message: 'message of {size} bytes exceeds the limit of {limit} bytes',
  },
  GW_ERR_PROTOCOL_ALREADY_CONNECTED: {
    status: 409,
    retryable: false,
    message: 'connect was already completed on this connection',
  },

  GW_ERR_AUTH_REQUIRED: { status: 401, close: 4401, retryable: false, message: 'authentication required' },
  GW_ERR_AUTH_INVALID: {
    status: 401,
    close: 4401,
    retryable: false,
    message: 'invalid credentials: {reason}',
  },
  GW_ERR_AUTH_FORBIDDEN_ROLE: {
    status: 403,
    close: 4403,
    retryable: false,
    message: 'role {role} may not {action}',
  },
  GW_ERR_AUTH_RATE_LIMITED: {
    status: 429,
    close: 4401,
    retryable: true,
    message: 'too many failed authentication attempts; retry in {retry_after_s} s',
  },
  GW_ERR_AUTH_ORIGIN_FORBIDDEN: {
    status: 403,
    close: 4403,
    retryable: false,
    message: 'origin {origin} is not allowed',
  },

  GW_ERR_GATEWAY_DRAINING: { status: 503, close: 1001, retryable: true, message: 'gateway is shutting down' },
  GW_ERR_GATEWAY_NOT_READY: { status: 503, retryable: true, message: 'gateway is starting' },
  GW_ERR_GATEWAY_INTERNAL: { status: 500, retryable: true, message: 'internal error' },
  GW_ERR_GATEWAY_NOT_FOUND: { status: 404, retryable: false, message: 'no route for {method} {path}' },
  GW_ERR_GATEWAY_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'request body exceeds {limit} bytes',
  },
  GW_ERR_GATEWAY_UPGRADE_REQUIRED: {
    status: 426,
    retryable: false,
    message:
      'WebSocket handshake at {path} arrived without its Upgrade/Connection headers: a reverse proxy in front ' +
      'of the gateway drops them (nginx: proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection ' +
      '"upgrade"; see docs/deployment.md)',
  },
  GW_ERR_GATEWAY_UNREACHABLE: {
    status: 503,
    retryable: true,
    message: 'cannot reach the gateway at {url}: {reason}',
  },
  GW_ERR_GATEWAY_TIMEOUT: {
    status: 504,
    retryable: true,
    message: 'the gateway did not answer {method} within {timeout_ms} ms',
  },

  GW_ERR_CONFIG_INVALID: { status: 400, retryable: false, message: '{reason}' },
  GW_ERR_CONFIG_PORT_IN_USE: {
    status: 500,
    retryable: false,
    message: 'port {port} on {host} is already in use',
  },

  GW_ERR_TASK_NOT_FOUND: { status: 404, retryable: false, message: 'task {id} not found' },
  GW_ERR_TASK_INVALID: { status: 400, retryable: false, message: 'invalid task: {reason}' },
  GW_ERR_TASK_DEPENDENCY_UNKNOWN: { status: 400, retryable: false, message: 'unknown dependency {id}' },
  GW_ERR_TASK_DEPENDENCY_CYCLE: { status: 400, retryable: false, message: 'dependency cycle through {id}' },
  GW_ERR_TASK_DEPENDENCY_FAILED: {
    status: 409,
    retryable: false,
    message: 'dependency {id} ended {status}',
  },
  GW_ERR_TASK_NOT_ACTIVE: { status: 409, retryable: false, message: 'task {id} is already {status}' },
  GW_ERR_TASK_NOT_ASSIGNED: {
    status: 409,
    retryable: false,
    message: 'task {id} is not assigned to this node',
  },
  GW_ERR_TASK_TIMEOUT: {
    status: 504,
    retryable: true,
    message: 'task exceeded its {which} timeout of {seconds} s',
  },
  GW_ERR_TASK_CANCELLED: { status: 409, retryable: false, message: 'task cancelled: {reason}' },
  GW_ERR_TASK_NODE_LOST: {
    status: 503,
    retryable: true,
    message: 'node {node_id} was lost and the retry limit ({max_attempts}) is reached',
  },
  GW_ERR_TASK_FAILED: { status: 500, retryable: false, message: '{reason}' },

  GW_ERR_NODE_NOT_FOUND: { status: 404, retryable: false, message: 'node {id} not found' },
  GW_ERR_NODE_DUPLICATE: { status: 409, retryable: true, message: 'node {id} is already connected' },

  GW_ERR_SKILL_NOT_FOUND: { status: 404, retryable: false, message: 'skill {skill} not found' },
  GW_ERR_SKILL_INVALID_ARGS: { status: 400, retryable: false, message: 'invalid args for {skill}: {reason}' },
  GW_ERR_SKILL_DENIED: { status: 403, retryable: false, message: '{reason}' },
  GW_ERR_SKILL_FAILED: { status: 500, retryable: false, message: '{reason}' },

  GW_ERR_WORKSPACE_NOT_FOUND: { status: 404, retryable: false, message: 'workspace {id} not found' },
  GW_ERR_WORKSPACE_INVALID: { status: 400, retryable: false, message: 'invalid workspace id {id}' },

  GW_ERR_STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'store unavailable: {reason}' },
  GW_ERR_STORE_KEY_INVALID: {
    status: 500,
    retryable: false,
    message: 'the database cannot be opened with this encryption key: {reason}',
  },
  GW_ERR_STORE_SCHEMA_TOO_NEW: {
    status: 500,
    retryable: false,
    message:
      'the {component} schema in the database is version {found}, newer than this build knows ({known}); upgrade openclaw, or restore a backup made by this version',
  },
  GW_ERR_STORE_MIGRATION_FAILED: {
    status: 500,
    retryable: false,
    message: 'migration {version} ({name}) of {component} failed and was rolled back: {reason}',
  },

  GW_ERR_LLM_NOT_CONFIGURED: { status: 503, retryable: false, message: '{reason}' },
  GW_ERR_LLM_QUEUE_FULL: { status: 429, retryable: true, message: 'LLM queue for {provider} is full' },
  GW_ERR_LLM_PROVIDER_ERROR: { status: 502, retryable: true, message: '{provider}: {reason}' },
  GW_ERR_LLM_PROVIDER_REJECTED: { status: 502, retryable: false, message: '{provider}: {reason}' },
  GW_ERR_LLM_QUEUE_TIMEOUT: {
    status: 503,
    retryable: true,
    message: 'LLM request waited more than {timeout_ms} ms in the queue for {provider}',
  },
  GW_ERR_LLM_MODEL_UNKNOWN: { status: 400, retryable: false, message: '{reason}' },
  GW_ERR_AGENT_MAX_STEPS: {
    status: 500,
    retryable: false,
    message: 'the agent reached its limit of {max_steps} steps without a final answer',
  },

  GW_ERR_CRON_INVALID: { status: 400, retryable: false, message: 'invalid cron job: {reason}' },
  GW_ERR_CRON_NOT_FOUND: { status: 404, retryable: false, message: 'cron job {id} not found' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

function fill(template: string, details: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in details ? String(details[k]) : `{${k}}`));
}

/** An error with a stable catalogue code; every layer throws these so callers can map them. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, details: Record<string, unknown> = {}, message?: string) {
    super(message ?? fill(ERRORS[code].message, details));
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
  get status(): number {
    return this.spec.status;
  }
  get closeCode(): number | undefined {
    return this.spec.close;
  }
  get retryable(): boolean {
    return this.spec.retryable;
  }
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, retryable: this.retryable };
    if (Object.keys(this.details).length > 0) body.details = this.details;
    return body;
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/**
 * Normalises anything thrown into a GatewayError at one boundary, so unknown throws never leak
 * internals (stack traces, secrets) to clients.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('GW_ERR_GATEWAY_INTERNAL');
}

/** Rebuilds a GatewayError from a wire error body (client side). */
export function fromErrorBody(body: ErrorBody): GatewayError {
  const code = isErrorCode(body.code) ? body.code : 'GW_ERR_GATEWAY_INTERNAL';
  return new GatewayError(code, body.details ?? {}, body.message);
}
