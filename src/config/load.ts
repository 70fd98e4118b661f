/** @module Loads the configuration: defaults < config file < environment < CLI flags (later wins). */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { ConfigSchema, type ResolvedConfig } from './schema.js';
import { expandEnv } from './expand-env.js';
import { envLayer, getPath, setPath } from './env-layer.js';
import { describeIssue } from './format-issue.js';

export interface LoadConfigOptions {
  /** Explicit config file (`--config`); a missing explicit file is an error. */
  configPath?: string;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** CLI flags as dotted keys, e.g. `{ 'gateway.port': 18790 }`. */
  flags?: Record<string, unknown>;
  /** Home directory used for `~` and the default paths (default os.homedir()). */
  home?: string;
}

export function defaultOpenclawDir(home = homedir()): string {
  return join(home, '.openclaw');
}

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? p : resolve(p);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars of a later layer replace earlier ones. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function readConfigFile(path: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      { file: path },
      `config ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : 'somewhere';
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      { file: path },
      // The yaml library repeats the position at the end of its first line; it is already in `where`.
      `config ${path}: not valid YAML at ${where}: ${e.message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?\s*$/, '')}`,
    );
  }
  const data: unknown = doc.toJS() ?? {};
  if (!isPlainObject(data)) {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      { file: path },
      `config ${path}: the top level must be a mapping of sections (gateway:, tasks:, ...)`,
    );
  }
  return expandEnv(data, env, path) as Record<string, unknown>;
}

/** Which layer set a dotted key, for error messages. */
function sourceOf(
  key: string,
  flags: Record<string, unknown>,
  envSources: Map<string, string>,
  file: Record<string, unknown> | null,
  filePath: string | null,
): string {
  // Commands pass every flag they know, unset ones as undefined; only a given flag is a source.
  if (flags[key] !== undefined) return `flag --${key.split('.').pop()!.replaceAll('_', '-')}`;
  for (const [k, src] of envSources) if (key === k || key.startsWith(`${k}.`)) return src;
  if (file && getPath(file, key) !== undefined) return `file ${filePath}`;
  return 'defaults';
}

/**
 * A value can break two bounds of one key at once (-1 is below both `>= 0` and `> 0`); naming both
 * reads as a contradiction, so only the last, strictest bound of each kind is kept per key.
 */
function strictestBounds(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const last = new Map<string, z.core.$ZodIssue>();
  const bound = (i: z.core.$ZodIssue) =>
    i.code === 'too_small' || i.code === 'too_big' ? `${i.path.map(String).join('.')}|${i.code}` : null;
  for (const i of issues) {
    const b = bound(i);
    if (b !== null) last.set(b, i);
  }
  return issues.filter((i) => {
    const b = bound(i);
    return b === null || last.get(b) === i;
  });
}

export function loadConfig(opts: LoadConfigOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const flags = opts.flags ?? {};

  const explicit = opts.configPath ?? (env.OPENCLAW_CONFIG || undefined);
  const configPath = explicit ? expandHome(explicit, home) : join(defaultOpenclawDir(home), 'config.yaml');
  let file: Record<string, unknown> | null = null;
  if (explicit || existsSync(configPath)) file = readConfigFile(configPath, env);

  const { layer: envObj, sources: envSources } = envLayer(env);
  const flagObj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) setPath(flagObj, k, v);

  const merged = deepMerge(deepMerge(file ?? {}, envObj), flagObj);
  // One parse per process: building the JIT fast path of every object in the schema would cost more
  // than it saves (about 20 ms of a gateway start).
  const parsed = ConfigSchema.safeParse(merged, { jitless: true });
  if (!parsed.success) {
    // A value can fail two checks of one rule (e.g. >= 0 and > 0); one line per distinct problem.
    const lines = [
      ...new Set(
        strictestBounds(parsed.error.issues).map((issue: z.core.$ZodIssue) => {
          // An unknown key lives in the layer that wrote it, not in its (possibly absent) parent.
          const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
          const key = path.map(String).join('.');
          return describeIssue(
            issue,
            merged,
            sourceOf(key, flags, envSources, file, file ? configPath : null),
          );
        }),
      ),
    ];
    throw new GatewayError('GW_ERR_CONFIG_INVALID', { issues: lines }, `invalid config: ${lines.join('; ')}`);
  }
  const cfg = parsed.data;
  const base = defaultOpenclawDir(home);
  return {
    ...cfg,
    data_dir: expandHome(cfg.data_dir ?? join(base, 'data'), home),
    log_dir: expandHome(cfg.log_dir ?? join(base, 'logs'), home),
    config_path: file ? configPath : null,
  };
}
