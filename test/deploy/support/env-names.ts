/** @module The environment variable names a deployment file may set: SPEC R1.4 plus the SDKs' own. */
import { ENV_KEYS } from '../../../src/config/index.js';

/**
 * Read by the gateway's config loader (`ENV_KEYS`, SPEC R1.4 and the metrics listener), plus
 * OPENCLAW_CONFIG (config file path, R1.4), the provider SDK variables (R1.4, R7.1) and
 * OPENCLAW_AUTH_TOKEN, the node token that seed 8.4 and 9.4 expand in node.yaml / CLI calls.
 */
export const ALLOWED_ENV_NAMES: ReadonlySet<string> = new Set([
  ...ENV_KEYS.map(([name]) => name),
  'OPENCLAW_CONFIG',
  'OPENCLAW_AUTH_TOKEN',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'OLLAMA_HOST',
]);

/** Names in `names` that are neither allowed nor in `extra` (e.g. NODE_ENV for the image). */
export function unknownEnvNames(names: Iterable<string>, extra: readonly string[] = []): string[] {
  return [...names].filter((n) => !ALLOWED_ENV_NAMES.has(n) && !extra.includes(n));
}

/** Variable names of `KEY=VALUE` entries (Compose list form, Dockerfile ENV, systemd Environment). */
export function namesOfAssignments(entries: Iterable<string>): string[] {
  return [...entries].map((e) => e.replace(/^"|"$/g, '').split('=')[0] ?? '');
}
