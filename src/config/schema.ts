/**
 * @module The configuration schema: every key with its default and unit. It validates config.yaml,
 * documents it (docs/config-reference.md is generated from it) and types the rest of the code.
 * Units follow the seed: seconds in config.yaml (node.yaml uses ms, see node-schema.ts).
 */
import { z } from 'zod';
import { CronConfigJobSchema } from './cron-schema.js';
import { MemoryConfigSchema } from './memory-schema.js';

type Doc = { description: string; unit?: string; env?: string };
const doc = <T extends z.ZodType>(s: T, d: Doc): T => s.meta(d);

const Seconds = (max = 31 * 24 * 3600) => z.number().nonnegative().max(max);
const Port = z.int().min(0).max(65535);
const LogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const WebsocketConfigSchema = z
  .strictObject({
    ping_interval: doc(Seconds(3600).positive().default(30), {
      description: 'Heartbeat ping interval; keeps connections alive through proxies',
      unit: 's',
    }),
    ping_timeout: doc(Seconds(3600).positive().default(10), {
      description: 'How long to wait for a pong before the peer is closed with 1001',
      unit: 's',
    }),
    max_message_size: doc(
      z
        .int()
        .min(64 * 1024)
        .max(1024 * 1024 * 1024)
        .default(10 * 1024 * 1024),
      { description: 'Largest accepted frame; larger frames close the socket with 1009', unit: 'bytes' },
    ),
    idle_timeout: doc(Seconds().default(0), {
      description: 'Close connections idle this long (0 = never)',
      unit: 's',
    }),
    handshake_timeout: doc(Seconds(600).positive().default(10), {
      description: 'Time allowed for the connect handshake',
      unit: 's',
    }),
    replay_buffer: doc(z.int().min(0).max(1_000_000).default(1000), {
      description: 'Events kept per session for replay on resume',
      unit: 'events',
    }),
    session_ttl: doc(Seconds().default(300), {
      description: 'How long a disconnected session can still be resumed',
      unit: 's',
    }),
    allowed_origins: doc(z.array(z.string()).default([]), {
      description:
        'Browser Origins allowed to connect, besides the Web UI itself ("*" allows any). Non-browser clients send no Origin.',
    }),
  })
  .prefault({});

export const AuthConfigSchema = z
  .strictObject({
    mode: doc(z.enum(['token', 'none']).default('token'), {
      description:
        'token: every connection presents a bearer token (or an mTLS certificate). none: loopback binds only',
    }),
    secret: doc(z.string().optional(), {
      description: 'Server secret tokens are signed with; generated in the data dir when unset',
      env: 'OPENCLAW_AUTH_SECRET',
    }),
    max_failures: doc(z.int().min(1).max(10_000).default(5), {
      description: 'Failed authentications per address within failure_window before it is slowed down',
    }),
    failure_window: doc(Seconds(86400).positive().default(60), {
      description: 'Window for counting failed authentications',
      unit: 's',
    }),
  })
  .prefault({});

export const TlsConfigSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(false), {
      description: 'Serve https/wss natively (proxies usually terminate TLS)',
    }),
    cert: doc(z.string().optional(), { description: 'PEM certificate file' }),
    key: doc(z.string().optional(), { description: 'PEM private key file' }),
    ca: doc(z.string().optional(), { description: 'PEM CA bundle for verifying client certificates (mTLS)' }),
    client_auth: doc(z.enum(['none', 'optional', 'require']).default('none'), {
      description: 'mTLS: require or accept client certificates signed by ca',
    }),
    client_cert_role: doc(z.enum(['admin', 'operator', 'node']).default('node'), {
      description: 'Role granted to a connection authenticated by a client certificate',
    }),
  })
  .prefault({});

export const LocalNodeConfigSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(true), {
      description: 'Run the built-in local node inside the gateway',
    }),
    id: doc(z.string().optional(), { description: 'Node id of the local node (default local-<hostname>)' }),
    capabilities: doc(z.array(z.string()).default(['shell', 'file', 'echo', 'browser']), {
      description: 'Capabilities the local node declares',
    }),
    tags: doc(z.array(z.string()).default([]), { description: 'Tags the local node declares' }),
    concurrency: doc(z.int().min(1).max(1024).default(4), {
      description: 'Tasks the local node runs at once',
    }),
  })
  .prefault({});

export const GatewayConfigSchema = z
  .strictObject({
    host: doc(z.string().min(1).default('127.0.0.1'), {
      description: 'Bind address. Keep loopback behind a reverse proxy',
      env: 'OPENCLAW_GATEWAY_HOST',
    }),
    port: doc(Port.default(18789), { description: 'HTTP + WebSocket port', env: 'OPENCLAW_GATEWAY_PORT' }),
    websocket_path: doc(
      z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path starting with "/"')
        .default('/ws'),
      { description: 'Extra WebSocket path (connections are also accepted at /)' },
    ),
    headless: doc(z.boolean().default(false), {
      description: 'Start core services only: no browser opening, no prompts',
      env: 'OPENCLAW_HEADLESS',
    }),
    id: doc(z.string().optional(), {
      description: 'Gateway id (default: hostname-port); in cluster mode OPENCLAW_NODE_ID',
      env: 'OPENCLAW_NODE_ID',
    }),
    drain_timeout: doc(Seconds(3600).default(30), {
      description: 'On SIGTERM, how long running work may take to finish before sockets close',
      unit: 's',
    }),
    trusted_proxies: doc(z.array(z.string()).default([]), {
      description: 'Addresses (or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto are believed',
    }),
    proxy_read_timeout: doc(Seconds().default(0), {
      description:
        'Declared read timeout of the reverse proxy in front (0 = none); used for timeout warnings',
      unit: 's',
    }),
    max_body_size: doc(
      z
        .int()
        .min(1024)
        .max(1024 * 1024 * 1024)
        .default(10 * 1024 * 1024),
      { description: 'Largest accepted REST request body', unit: 'bytes' },
    ),
    websocket: WebsocketConfigSchema,
    auth: AuthConfigSchema,
    tls: TlsConfigSchema,
    local_node: LocalNodeConfigSchema,
  })
  .prefault({});

export const TasksConfigSchema = z
  .strictObject({
    default_timeout: doc(Seconds().default(0), {
      description: 'Timeout of tasks that set none (0 = none)',
      unit: 's',
    }),
    long_task_warning: doc(Seconds().default(300), {
      description: 'Running longer than this emits an event, a log line and a metric (0 = off)',
      unit: 's',
    }),
    queue_timeout: doc(Seconds().default(600), {
      description: 'A task not started within this fails with a clear reason (0 = wait forever)',
      unit: 's',
    }),
    lease: doc(Seconds(3600).positive().default(30), {
      description: 'Lease a node holds on a running task; renewed while it works, re-queued when it lapses',
      unit: 's',
    }),
    max_attempts: doc(z.int().min(1).max(100).default(3), {
      description: 'Attempts (first run plus retries after a lost node) before a task fails',
    }),
    retention: doc(Seconds(10 * 365 * 86400).default(30 * 86400), {
      description: 'Finished tasks older than this are pruned (0 = keep forever)',
      unit: 's',
    }),
  })
  .prefault({});

export const ReconnectConfigSchema = z
  .strictObject({
    max_retries: doc(z.int().min(-1).default(-1), { description: 'Reconnect attempts (-1 = infinite)' }),
    initial_delay: doc(Seconds(3600).positive().default(1), {
      description: 'First reconnect delay',
      unit: 's',
    }),
    max_delay: doc(Seconds(86400).positive().default(60), {
      description: 'Cap of the exponential backoff',
      unit: 's',
    }),
    backoff_factor: doc(z.number().min(1).max(10).default(2), { description: 'Backoff multiplier' }),
  })
  .prefault({});

export const LogOutputSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('stdout') }),
  z.strictObject({
    type: z.literal('file'),
    path: doc(z.string().min(1).optional(), {
      description: 'Log file (default $OPENCLAW_LOG_DIR/gateway.log)',
    }),
    max_size_mb: doc(z.number().positive().max(100_000).default(100), {
      description: 'Rotate at this size',
      unit: 'MB',
    }),
    max_backups: doc(z.int().min(0).max(1000).default(10), { description: 'Rotated files kept' }),
    compress: doc(z.boolean().default(true), { description: 'gzip rotated files' }),
  }),
]);

export const LoggingConfigSchema = z
  .strictObject({
    format: doc(z.enum(['json', 'pretty']).default('json'), { description: 'Line format' }),
    level: doc(LogLevel.default('info'), { description: 'Minimum level', env: 'OPENCLAW_LOG_LEVEL' }),
    output: doc(z.array(LogOutputSchema).prefault([{ type: 'stdout' }, { type: 'file' }]), {
      description: 'Where lines go; default stdout and $OPENCLAW_LOG_DIR/gateway.log',
    }),
  })
  .prefault({});

export const MetricsConfigSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(true), {
      description: 'Serve Prometheus metrics on a separate listener',
    }),
    host: doc(z.string().min(1).default('127.0.0.1'), { description: 'Metrics bind address' }),
    port: doc(Port.default(9090), { description: 'Metrics port' }),
    path: doc(z.string().startsWith('/').default('/metrics'), { description: 'Metrics path' }),
  })
  .prefault({});

export const StoreConfigSchema = z
  .strictObject({
    backend: doc(z.enum(['sqlite', 'redis']).default('sqlite'), {
      description: 'sqlite (embedded, default) or redis (cluster mode)',
    }),
    filename: doc(z.string().min(1).default('openclaw.db'), {
      description: 'SQLite file inside the data dir',
    }),
    synchronous: doc(z.enum(['full', 'normal']).default('full'), {
      description:
        'Durability of acknowledged writes: full acks only after the WAL is fsynced (survives power loss; one fsync per batch, off the event loop), normal survives process crashes',
    }),
    encryption_key: doc(z.string().optional(), {
      description: 'Encrypts the whole database at rest',
      env: 'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
    }),
  })
  .prefault({});

export const ClusterConfigSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(false), {
      description: 'Share state with other gateways via Redis and etcd',
      env: 'OPENCLAW_CLUSTER_MODE',
    }),
    redis_url: doc(z.string().optional(), { description: 'Redis URL', env: 'OPENCLAW_REDIS_URL' }),
    etcd_endpoints: doc(z.array(z.string()).default([]), {
      description: 'etcd endpoints (comma-separated in the env var)',
      env: 'OPENCLAW_ETCD_ENDPOINTS',
    }),
  })
  .prefault({});

const PerMinute = z.int().min(0).max(1_000_000_000);

export const LlmProviderConfigSchema = z.strictObject({
  type: doc(z.enum(['openai', 'anthropic', 'ollama', 'openai-compatible']).optional(), {
    description:
      'Wire protocol; default: the provider name when it is openai, anthropic or ollama, else openai-compatible',
  }),
  api_key: doc(z.string().optional(), {
    description: 'API key; openai and anthropic default to OPENAI_API_KEY / ANTHROPIC_API_KEY. Never logged',
  }),
  api_keys: doc(z.array(z.string().min(1)).default([]), {
    description: 'Several keys of one provider; each key gets the limits below, calls go to a key with room',
  }),
  base_url: doc(z.string().optional(), {
    description:
      'API base URL; defaults to OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST for those types',
  }),
  models: doc(z.array(z.string().min(1)).default([]), {
    description: 'Models it serves, for routing bare model names; the first is its default model',
  }),
  requests_per_minute: doc(PerMinute.default(0), {
    description: 'Requests per minute per key (0 = unlimited); excess calls wait',
    unit: 'requests/min',
  }),
  tokens_per_minute: doc(PerMinute.default(0), {
    description: 'Prompt + completion tokens per minute per key (0 = unlimited); excess calls wait',
    unit: 'tokens/min',
  }),
  max_concurrent: doc(z.int().min(0).max(100_000).default(0), {
    description: 'Calls in flight per key (0 = unlimited)',
  }),
  timeout: doc(Seconds(3600).positive().default(120), {
    description: 'One attempt: the whole call, or for a stream the longest silence between chunks',
    unit: 's',
  }),
  max_tokens: doc(z.int().positive().max(10_000_000).default(4096), {
    description:
      'max_tokens sent when a request sets none (Anthropic needs one), and the completion size reserved against tokens_per_minute',
    unit: 'tokens',
  }),
  max_queue: doc(z.int().min(0).max(1_000_000).default(1000), {
    description: 'Calls waiting for this provider beyond which new ones fail with GW_ERR_LLM_QUEUE_FULL',
  }),
});

export const LlmRetryConfigSchema = z
  .strictObject({
    max_retries: doc(z.int().min(0).max(20).default(2), {
      description:
        'Retries of one provider on 429, 5xx, timeouts and dropped connections before falling back',
    }),
    initial_delay: doc(Seconds(3600).default(0.5), {
      description: 'First backoff delay (doubled per retry, with jitter) when no Retry-After is given',
      unit: 's',
    }),
    max_delay: doc(Seconds(3600).default(30), { description: 'Cap of the backoff delay', unit: 's' }),
    max_retry_after: doc(Seconds(86400).default(60), {
      description: 'Longest Retry-After waited for; a longer one falls back to the next provider at once',
      unit: 's',
    }),
  })
  .prefault({});

export const LlmConfigSchema = z
  .strictObject({
    providers: doc(
      z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "-" or "."'),
          LlmProviderConfigSchema,
        )
        .default({}),
      {
        description:
          'LLM providers by name (openai, anthropic, ollama, or any OpenAI-compatible URL); keys stay on the gateway. ' +
          'Keys of each: type, api_key, api_keys, base_url, models, requests_per_minute, tokens_per_minute, ' +
          'max_concurrent (0 = unlimited), timeout (s, 120), max_tokens (4096), max_queue (1000). ' +
          'Unset: OPENAI_API_KEY, ANTHROPIC_API_KEY and OLLAMA_HOST add openai, anthropic and ollama',
      },
    ),
    default_model: doc(z.string().optional(), {
      description:
        "Model of calls that name none (provider/model or alias); default: the first provider's first model",
    }),
    aliases: doc(z.record(z.string().min(1), z.string().min(1)).default({}), {
      description: 'Model aliases, e.g. fast: openai/gpt-4o-mini',
    }),
    fallback: doc(z.array(z.string().min(1)).default([]), {
      description:
        'Models tried in order when the chosen one keeps failing (429/5xx after retries, 401, 404)',
    }),
    queue_timeout: doc(Seconds().default(300), {
      description: 'Longest wait for a provider limit before GW_ERR_LLM_QUEUE_TIMEOUT (0 = no limit)',
      unit: 's',
    }),
    retry: LlmRetryConfigSchema,
  })
  .prefault({});

export type LlmConfig = z.infer<typeof LlmConfigSchema>;
export type LlmProviderConfig = z.infer<typeof LlmProviderConfigSchema>;

export const ConfigSchema = z.strictObject({
  data_dir: doc(z.string().min(1).optional(), {
    description: 'Where the store and secrets live (default ~/.openclaw/data)',
    env: 'OPENCLAW_DATA_DIR',
  }),
  log_dir: doc(z.string().min(1).optional(), {
    description: 'Where log files go (default ~/.openclaw/logs)',
    env: 'OPENCLAW_LOG_DIR',
  }),
  gateway: GatewayConfigSchema,
  tasks: TasksConfigSchema,
  reconnect: ReconnectConfigSchema,
  logging: LoggingConfigSchema,
  metrics: MetricsConfigSchema,
  store: StoreConfigSchema,
  cluster: ClusterConfigSchema,
  llm: LlmConfigSchema,
  cron: doc(z.array(CronConfigJobSchema).default([]), {
    description:
      'Cron jobs reconciled on start (name, schedule, timezone, task or skill+args, overlap, catchup, ...)',
  }),
  memory: MemoryConfigSchema,
});

export type Config = z.infer<typeof ConfigSchema>;
export type ResolvedConfig = Config & { data_dir: string; log_dir: string; config_path: string | null };
