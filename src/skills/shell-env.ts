/** @module Keeping the gateway's and node's secrets out of the environment of commands a skill runs. */

/** Variables removed by name: the provider keys and the gateway's own secrets. */
export const SECRET_ENV_NAMES: readonly string[] = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'OPENCLAW_AUTH_SECRET',
  'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
  // Connection URLs that may embed a password (redis://:pw@host).
  'OPENCLAW_REDIS_URL',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

/** Variables removed by shape (case-insensitive): anything named like a credential. */
export const SECRET_ENV_PATTERNS: readonly RegExp[] = [
  /_TOKEN$/i,
  /_SECRET$/i,
  /_API_KEY$/i,
  /_PASSWORD$/i,
  /_PRIVATE_KEY$/i,
];

/** Whether a variable is treated as a secret and withheld from skill children. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_ENV_NAMES.includes(upper) || SECRET_ENV_PATTERNS.some((re) => re.test(name));
}

/**
 * A copy of `env` without secrets. `keep` names variables that survive anyway, for an operator who
 * deliberately hands a credential (say `GITHUB_TOKEN`) to commands.
 */
export function scrubEnv(
  env: Readonly<Record<string, string | undefined>>,
  keep: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (isSecretEnvName(name) && !keep.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
