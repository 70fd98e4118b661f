/**
 * @module The on-disk part of `openclaw doctor --production`: the TLS certificate, the strength of
 * the auth secret, the modes of the data dir and secret file, and credentials written into
 * config.yaml or a world-readable EnvironmentFile instead of the environment.
 */
import { X509Certificate } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { ResolvedConfig } from '../../config/index.js';
import { authSecretPath, isLoopbackHost } from '../../gateway/index.js';
import type { HostProbe } from './doctor-production-probe.js';

/** One check's outcome; the caller gives it its name. */
export interface Verdict {
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** An installed systemd unit and its text. */
export interface UnitText {
  path: string;
  text: string;
}

/** Estimated bits of a secret below which it fails / warns. */
export const SECRET_FAIL_BITS = 64;
export const SECRET_WARN_BITS = 128;
/** A certificate expiring sooner than this many days warns. */
export const CERT_WARN_DAYS = 14;

const WEAK_WORDS = /replace|change.?me|example|password|secret|openclaw|123456|qwerty/i;

const fmtMode = (m: number) => `0${m.toString(8).padStart(3, '0')}`;

/** The last value of `key=` in a unit file. */
export function unitValue(text: string, key: string): string | undefined {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1]?.trim();
}

/**
 * A rough entropy estimate: length times log2 of the alphabet the secret appears to be drawn from,
 * capped by how many distinct characters it really uses (so "aaaa..." scores near nothing).
 */
export function secretBits(secret: string): number {
  if (secret.length === 0) return 0;
  let pool = 0;
  if (/^[0-9a-f]+$/i.test(secret)) pool = 16;
  else {
    if (/[a-z]/.test(secret)) pool += 26;
    if (/[A-Z]/.test(secret)) pool += 26;
    if (/[0-9]/.test(secret)) pool += 10;
    if (/[^A-Za-z0-9]/.test(secret)) pool += 33;
  }
  const distinct = new Set(secret).size;
  return Math.round(secret.length * Math.log2(Math.max(2, Math.min(pool, distinct))));
}

/** Paths of credential keys with a literal value (not a `${VAR}` reference) in config.yaml text. */
export function literalSecretKeys(configText: string): string[] {
  let root: unknown;
  try {
    root = parseDocument(configText).toJS();
  } catch {
    return [];
  }
  const found: string[] = [];
  const literal = (v: unknown) => typeof v === 'string' && v !== '' && !/\$\{[^}]+\}/.test(v);
  const walk = (node: unknown, path: string[]) => {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, String(i)]));
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    else {
      const key = path.filter((p) => !/^\d+$/.test(p)).at(-1) ?? '';
      const isSecret = ['api_key', 'api_keys', 'secret', 'encryption_key'].includes(key);
      const isUrlWithPassword = key === 'redis_url' && typeof node === 'string' && /:[^:@/]+@/.test(node);
      if ((isSecret || isUrlWithPassword) && literal(node)) found.push(path.join('.'));
    }
  };
  walk(root, []);
  return found;
}

/** Native TLS with a valid certificate, or TLS at a trusted proxy. */
export function tlsVerdict(cfg: ResolvedConfig, probe: HostProbe): Verdict {
  const g = cfg.gateway;
  const proxies = g.trusted_proxies;
  if (g.tls.enabled) {
    const text = g.tls.cert ? probe.readText(g.tls.cert) : null;
    let cert: X509Certificate | null = null;
    try {
      cert = text ? new X509Certificate(text) : null;
    } catch {
      cert = null;
    }
    if (!cert)
      return {
        status: 'fail',
        detail: `gateway.tls.cert ${g.tls.cert ?? '(unset)'} is not a readable PEM certificate`,
        fix: 'point gateway.tls.cert and gateway.tls.key at the certificate files',
      };
    const daysLeft = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    const detail = `native TLS with ${cert.subject.replace(/\n/g, ', ')}, valid until ${new Date(cert.validTo).toISOString()}`;
    const renew = 'renew the certificate (certbot renew) and restart the gateway';
    if (daysLeft < 0) return { status: 'fail', detail: `${detail}: expired`, fix: renew };
    if (daysLeft < CERT_WARN_DAYS)
      return { status: 'warn', detail: `${detail}: expires in ${Math.floor(daysLeft)} days`, fix: renew };
    return { status: 'pass', detail };
  }
  if (proxies.length > 0)
    return {
      status: 'pass',
      detail: `TLS terminates at the reverse proxy (${proxies.join(', ')}); offer TLS 1.2+ only there, as deploy/nginx/openclaw.conf does`,
    };
  if (isLoopbackHost(g.host))
    return {
      status: 'warn',
      detail:
        'no TLS and no reverse proxy: fine on this machine, but remote nodes would send tokens in clear text',
      fix: 'put nginx or Caddy with TLS in front (list it in gateway.trusted_proxies), or set gateway.tls.enabled with cert and key',
    };
  return {
    status: 'fail',
    detail: `plain ws:// on ${g.host}: tokens cross the network in clear text`,
    fix: 'terminate TLS at nginx/Caddy (deploy/nginx, deploy/caddy) or set gateway.tls.enabled with cert and key',
  };
}

/** The server secret, from the environment, the config or the generated file: never printed. */
export function secretVerdict(cfg: ResolvedConfig, env: NodeJS.ProcessEnv, probe: HostProbe): Verdict {
  const file = authSecretPath(cfg.data_dir);
  const configured = cfg.gateway.auth.secret;
  const source =
    configured === undefined
      ? file
      : env.OPENCLAW_AUTH_SECRET
        ? 'OPENCLAW_AUTH_SECRET'
        : 'gateway.auth.secret';
  const secret = configured ?? probe.readText(file)?.trim() ?? null;
  if (secret === null)
    return { status: 'pass', detail: `none yet: the gateway generates a random one at ${file} (mode 0600)` };
  const bits = secretBits(secret);
  const weak = WEAK_WORDS.test(secret);
  const detail = `secret from ${source}: ${secret.length} characters, about ${bits} bits${weak ? ', contains a dictionary word or placeholder' : ''}`;
  const fix =
    'generate one with `openssl rand -hex 32` into OPENCLAW_AUTH_SECRET (EnvironmentFile, mode 0600), or unset it so the gateway generates one; tokens signed with the old secret stop working';
  if (bits < SECRET_FAIL_BITS || weak) return { status: 'fail', detail, fix };
  if (bits < SECRET_WARN_BITS) return { status: 'warn', detail, fix };
  return { status: 'pass', detail };
}

/** The data dir and the secret file, readable by their owner only. */
export function dataDirVerdict(cfg: ResolvedConfig, probe: HostProbe): Verdict {
  const dir = cfg.data_dir;
  const file = authSecretPath(dir);
  const dd = probe.stat(dir);
  if (!dd)
    return {
      status: 'warn',
      detail: `${dir} does not exist yet`,
      fix: 'start the gateway once (it creates the dir with mode 0700), then re-run this check',
    };
  const sf = probe.stat(file);
  const loose = [
    ...(dd.mode & 0o077 ? [`${dir} is ${fmtMode(dd.mode)}`] : []),
    ...(sf && sf.mode & 0o077 ? [`${file} is ${fmtMode(sf.mode)}`] : []),
  ];
  if (loose.length === 0)
    return { status: 'pass', detail: `${dir} is ${fmtMode(dd.mode)}, readable by its owner only` };
  return {
    status: dd.mode & 0o007 || (sf && sf.mode & 0o007) ? 'fail' : 'warn',
    detail: `${loose.join('; ')}: other users can read the store or the secret`,
    fix: `chmod 700 ${dir}${sf ? ` && chmod 600 ${file}` : ''}`,
  };
}

/** Credentials come from the environment: none literal in config.yaml, no world-readable env file. */
export function keysVerdict(
  cfg: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  probe: HostProbe,
  units: readonly UnitText[],
): Verdict {
  const fileText = cfg.config_path ? probe.readText(cfg.config_path) : null;
  const literal = fileText ? literalSecretKeys(fileText) : [];
  if (literal.length > 0)
    return {
      status: 'fail',
      detail: `${cfg.config_path} holds literal credentials: ${literal.join(', ')}`,
      fix: 'move them to the environment (EnvironmentFile mode 0600, .env.gateway or a Secret) and write ${OPENAI_API_KEY} style references, or drop the keys',
    };
  const envFiles = units
    .map((u) => unitValue(u.text, 'EnvironmentFile')?.replace(/^-/, ''))
    .filter((p): p is string => !!p && !p.includes('%'));
  const loose = envFiles.filter((p) => (probe.stat(p)?.mode ?? 0) & 0o007);
  if (loose.length > 0)
    return {
      status: 'fail',
      detail: `${loose.join(', ')} is readable by every user`,
      fix: `chmod 600 ${loose.join(' ')}`,
    };
  const fromEnv = [
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'OPENCLAW_AUTH_SECRET',
    'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
  ].filter((k) => env[k]);
  return {
    status: 'pass',
    detail: `no credentials in ${cfg.config_path ?? 'a config file'}${fromEnv.length ? `; from the environment: ${fromEnv.join(', ')}` : ''}`,
  };
}
