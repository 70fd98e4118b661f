/** @module `${VAR}` expansion in YAML string values, applied after parsing so values cannot inject structure. */
import { GatewayError } from '../protocol/index.js';

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string of a parsed document; `$${` is a literal `${`.
 * An unset variable without a default is an error naming the key and the variable, because silently
 * expanding to "" would e.g. turn a missing secret into an empty one.
 */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  file: string,
  path: string[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[name as string];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new GatewayError(
        'GW_ERR_CONFIG_INVALID',
        { key: path.join('.'), variable: name, file },
        `config ${file}: ${path.join('.') || '(root)'} uses \${${name}}, but ${name} is not set in the environment`,
      );
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, file, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        expandEnv(v, env, file, [...path, k]),
      ]),
    );
  }
  return value;
}
