/** @module Maps the environment variables of SPEC R1.4 onto config keys. */
import { GatewayError } from '../protocol/index.js';

type Kind = 'string' | 'int' | 'bool' | 'list';
/** env var -> [config path, kind]. The order is the documentation order. */
export const ENV_KEYS: ReadonlyArray<readonly [string, string, Kind]> = [
  ['OPENCLAW_HEADLESS', 'gateway.headless', 'bool'],
  ['OPENCLAW_GATEWAY_HOST', 'gateway.host', 'string'],
  ['OPENCLAW_GATEWAY_PORT', 'gateway.port', 'int'],
  ['OPENCLAW_LOG_LEVEL', 'logging.level', 'string'],
  ['OPENCLAW_DATA_DIR', 'data_dir', 'string'],
  ['OPENCLAW_LOG_DIR', 'log_dir', 'string'],
  ['OPENCLAW_AUTH_SECRET', 'gateway.auth.secret', 'string'],
  ['OPENCLAW_WORKSPACE_ENCRYPTION_KEY', 'store.encryption_key', 'string'],
  ['OPENCLAW_CLUSTER_MODE', 'cluster.enabled', 'bool'],
  ['OPENCLAW_REDIS_URL', 'cluster.redis_url', 'string'],
  ['OPENCLAW_ETCD_ENDPOINTS', 'cluster.etcd_endpoints', 'list'],
  ['OPENCLAW_NODE_ID', 'gateway.id', 'string'],
  ['OPENCLAW_METRICS_HOST', 'metrics.host', 'string'],
  ['OPENCLAW_METRICS_PORT', 'metrics.port', 'int'],
];

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function coerce(name: string, raw: string, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new GatewayError(
        'GW_ERR_CONFIG_INVALID',
        { env: name, value: raw },
        `invalid config: ${name}=${JSON.stringify(raw)}: expected true or false (also 1/0, yes/no, on/off)`,
      );
    }
    case 'int': {
      if (!/^\s*-?\d+\s*$/.test(raw)) {
        throw new GatewayError(
          'GW_ERR_CONFIG_INVALID',
          { env: name, value: raw },
          `invalid config: ${name}=${JSON.stringify(raw)}: expected a whole number`,
        );
      }
      return Number(raw);
    }
  }
}

/** Builds the env layer as a partial config object plus, per dotted key, the variable it came from. */
export function envLayer(env: NodeJS.ProcessEnv): {
  layer: Record<string, unknown>;
  sources: Map<string, string>;
} {
  const layer: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, key, kind] of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(layer, key, coerce(name, raw, kind));
    sources.set(key, `env ${name}`);
  }
  return { layer, sources };
}

export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (!next || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const p of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
