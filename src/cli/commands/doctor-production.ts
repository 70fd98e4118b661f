/**
 * @module `openclaw doctor --production`: the seed 11.1 checklist, as far as a machine can check it
 * from the gateway's host (non-root, bind and proxy, auth, TLS, secret strength, data dir modes,
 * port exposure on this host's own addresses, open-file limit, API keys outside the config file).
 */
import { X509Certificate } from 'node:crypto';
import { parseDocument } from 'yaml';
import { loadConfig, type ResolvedConfig } from '../../config/index.js';
import { authSecretPath, isLoopbackHost } from '../../gateway/index.js';
import { systemProbe, type HostProbe, type Listener } from './doctor-production-probe.js';
import { unitPath } from './gateway-install.js';

/** Same shape as doctor's CheckResult (kept separate so the two modules do not import each other). */
export interface ProductionCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** The open-file limit seed 11.5 asks for (every WebSocket connection holds one descriptor). */
export const MIN_OPEN_FILES = 65536;
/** Estimated bits of a secret below which it is refused / warned about. */
export const SECRET_FAIL_BITS = 64;
export const SECRET_WARN_BITS = 128;

const WEAK_WORDS = /replace|change.?me|example|password|secret|openclaw|123456|qwerty/i;

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

/** Config keys whose values are credentials; a literal value in config.yaml is a finding. */
function literalSecretKeys(configText: string): string[] {
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

const fmtMode = (m: number) => `0${m.toString(8).padStart(3, '0')}`;

export interface ProductionContext {
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  probe: HostProbe;
  /** Installed units to read User= and LimitNOFILE from. Default: the user and system unit paths. */
  unitFiles?: string[];
}

function unitValue(text: string, key: string): string | undefined {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1]?.trim();
}

export async function productionChecks(ctx: ProductionContext): Promise<ProductionCheck[]> {
  const { config: cfg, env, probe } = ctx;
  const g = cfg.gateway;
  const out: ProductionCheck[] = [];
  const name = (n: string) => `production: ${n}`;
  const units = (ctx.unitFiles ?? [unitPath({ system: true }), unitPath({})])
    .map((path) => ({ path, text: probe.readText(path) }))
    .filter((u): u is { path: string; text: string } => u.text !== null);
  const systemUnit = units.find((u) => /\[Install\][\s\S]*WantedBy=multi-user\.target/.test(u.text));

  // The running gateway, if any: the process listening on the configured port.
  const listeners = g.port > 0 ? probe.listeners(g.port) : [];
  const running: Listener | undefined = listeners[0];
  const pid = running ? probe.pidOfSocket(running.inode) : null;

  // 1. Least privilege.
  const who = (uid: number) => `uid ${uid}${probe.userName(uid) ? ` (${probe.userName(uid)})` : ''}`;
  const userFix =
    'run the gateway as a dedicated user: sudo useradd --system --shell /usr/sbin/nologin openclaw, then openclaw gateway install --system (User=openclaw)';
  if (running) {
    out.push(
      running.uid === 0
        ? {
            name: name('user'),
            status: 'fail',
            detail: `the gateway on port ${g.port} runs as root`,
            fix: userFix,
          }
        : {
            name: name('user'),
            status: 'pass',
            detail: `the gateway on port ${g.port} runs as ${who(running.uid)}`,
          },
    );
  } else if (systemUnit) {
    const user = unitValue(systemUnit.text, 'User');
    out.push(
      !user || user === 'root' || user === '0'
        ? {
            name: name('user'),
            status: 'fail',
            detail: `${systemUnit.path} runs the gateway as root`,
            fix: userFix,
          }
        : { name: name('user'), status: 'pass', detail: `${systemUnit.path} runs the gateway as ${user}` },
    );
  } else {
    const uid = probe.uid();
    out.push(
      uid === 0
        ? {
            name: name('user'),
            status: 'fail',
            detail:
              'no gateway is running and this shell is root: a gateway started from here would run as root',
            fix: userFix,
          }
        : {
            name: name('user'),
            status: 'pass',
            detail: `a gateway started from here runs as ${who(uid ?? -1)}`,
          },
    );
  }

  // 2. Network isolation: loopback, or behind a trusted reverse proxy.
  const loopback = isLoopbackHost(g.host);
  const proxies = g.trusted_proxies;
  if (loopback)
    out.push({
      name: name('bind'),
      status: 'pass',
      detail: `binds ${g.host}: reachable from this machine only (e.g. a local nginx/Caddy)`,
    });
  else if (proxies.length > 0)
    out.push({
      name: name('bind'),
      status: 'warn',
      detail: `binds ${g.host} behind the trusted proxies ${proxies.join(', ')}`,
      fix: `let only the proxy reach port ${g.port} (firewall, deploy/firewall.md); bind 127.0.0.1 when the proxy runs on this machine`,
    });
  else
    out.push({
      name: name('bind'),
      status: 'fail',
      detail: `binds ${g.host} with no reverse proxy (gateway.trusted_proxies is empty): clients reach the gateway directly`,
      fix: 'bind 127.0.0.1 (gateway.host) and put nginx or Caddy in front (deploy/nginx, deploy/caddy), listing it in gateway.trusted_proxies',
    });

  // 3. Authentication on every connection.
  out.push(
    g.auth.mode === 'none'
      ? {
          name: name('auth'),
          status: 'fail',
          detail: 'gateway.auth.mode is none: anyone who reaches the port is admin',
          fix: 'remove gateway.auth.mode (the default is token)',
        }
      : {
          name: name('auth'),
          status: 'pass',
          detail: `bearer tokens required${g.tls.enabled && g.tls.client_auth !== 'none' ? `, client certificates ${g.tls.client_auth}` : ''}`,
        },
  );

  // 4. TLS: natively or at the proxy.
  if (g.tls.enabled) {
    let cert: X509Certificate | null = null;
    const text = g.tls.cert ? probe.readText(g.tls.cert) : null;
    try {
      cert = text ? new X509Certificate(text) : null;
    } catch {
      cert = null;
    }
    if (!cert)
      out.push({
        name: name('tls'),
        status: 'fail',
        detail: `gateway.tls.cert ${g.tls.cert ?? '(unset)'} is not a readable PEM certificate`,
        fix: 'point gateway.tls.cert and gateway.tls.key at the certificate files',
      });
    else {
      const daysLeft = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      const detail = `native TLS with ${cert.subject.replace(/\n/g, ', ')}, valid until ${new Date(cert.validTo).toISOString()}`;
      out.push(
        daysLeft < 0
          ? {
              name: name('tls'),
              status: 'fail',
              detail: `${detail}: expired`,
              fix: 'renew the certificate (certbot renew) and restart the gateway',
            }
          : daysLeft < 14
            ? {
                name: name('tls'),
                status: 'warn',
                detail: `${detail}: expires in ${Math.floor(daysLeft)} days`,
                fix: 'renew the certificate (certbot renew) and restart the gateway',
              }
            : { name: name('tls'), status: 'pass', detail },
      );
    }
  } else if (proxies.length > 0)
    out.push({
      name: name('tls'),
      status: 'pass',
      detail: `TLS terminates at the reverse proxy (${proxies.join(', ')}); offer TLS 1.2+ only there, as deploy/nginx/openclaw.conf does`,
    });
  else if (loopback)
    out.push({
      name: name('tls'),
      status: 'warn',
      detail:
        'no TLS and no reverse proxy: fine on this machine, but remote nodes would send tokens in clear text',
      fix: 'put nginx or Caddy with TLS in front (list it in gateway.trusted_proxies), or set gateway.tls.enabled with cert and key',
    });
  else
    out.push({
      name: name('tls'),
      status: 'fail',
      detail: `plain ws:// on ${g.host}: tokens cross the network in clear text`,
      fix: 'terminate TLS at nginx/Caddy (deploy/nginx, deploy/caddy) or set gateway.tls.enabled with cert and key',
    });

  // 5. Strength of the server secret.
  const secretFix =
    'generate one with `openssl rand -hex 32` into OPENCLAW_AUTH_SECRET (EnvironmentFile, mode 0600), or unset it so the gateway generates one; tokens signed with the old secret stop working';
  const fileSecretPath = authSecretPath(cfg.data_dir);
  const source =
    g.auth.secret !== undefined
      ? env.OPENCLAW_AUTH_SECRET
        ? 'OPENCLAW_AUTH_SECRET'
        : 'gateway.auth.secret'
      : fileSecretPath;
  const secret = g.auth.secret ?? probe.readText(fileSecretPath)?.trim() ?? null;
  if (secret === null)
    out.push({
      name: name('secret'),
      status: 'pass',
      detail: `none yet: the gateway generates a random one at ${fileSecretPath} (mode 0600)`,
    });
  else {
    const bits = secretBits(secret);
    const weak = WEAK_WORDS.test(secret);
    const detail = `secret from ${source}: ${secret.length} characters, about ${bits} bits${weak ? ', contains a dictionary word or placeholder' : ''}`;
    out.push(
      bits < SECRET_FAIL_BITS || weak
        ? { name: name('secret'), status: 'fail', detail, fix: secretFix }
        : bits < SECRET_WARN_BITS
          ? { name: name('secret'), status: 'warn', detail, fix: secretFix }
          : { name: name('secret'), status: 'pass', detail },
    );
  }

  // 6. Data dir and secret file readable by the gateway user only.
  const dd = probe.stat(cfg.data_dir);
  if (!dd)
    out.push({
      name: name('data dir'),
      status: 'warn',
      detail: `${cfg.data_dir} does not exist yet`,
      fix: 'start the gateway once (it creates the dir with mode 0700), then re-run this check',
    });
  else {
    const sf = probe.stat(fileSecretPath);
    const loose = [
      ...(dd.mode & 0o077 ? [`${cfg.data_dir} is ${fmtMode(dd.mode)}`] : []),
      ...(sf && sf.mode & 0o077 ? [`${fileSecretPath} is ${fmtMode(sf.mode)}`] : []),
    ];
    out.push(
      loose.length === 0
        ? {
            name: name('data dir'),
            status: 'pass',
            detail: `${cfg.data_dir} is ${fmtMode(dd.mode)}, readable by its owner only`,
          }
        : {
            name: name('data dir'),
            status: dd.mode & 0o007 || (sf && sf.mode & 0o007) ? 'fail' : 'warn',
            detail: `${loose.join('; ')}: other users can read the store or the secret`,
            fix: `chmod 700 ${cfg.data_dir}${sf ? ` && chmod 600 ${fileSecretPath}` : ''}`,
          },
    );
  }

  // 7. The gateway (and metrics) port, from this machine's own non-loopback addresses.
  const ports = [g.port, ...(cfg.metrics.enabled && cfg.metrics.port > 0 ? [cfg.metrics.port] : [])].filter(
    (p) => p > 0,
  );
  const addrs = probe.externalAddresses();
  const open = (
    await Promise.all(
      addrs.flatMap((a) =>
        ports.map(async (p) =>
          (await probe.accepts(a, p, 800)) ? `${a.includes(':') ? `[${a}]` : a}:${p}` : null,
        ),
      ),
    )
  ).filter((x): x is string => x !== null);
  if (!running && g.port > 0 && !(await probe.accepts(loopback ? g.host : '127.0.0.1', g.port, 800)))
    out.push({
      name: name('exposure'),
      status: 'warn',
      detail: `nothing listens on port ${g.port} now, so exposure cannot be judged`,
      fix: 'run this check while the gateway runs',
    });
  else if (open.length === 0)
    out.push({
      name: name('exposure'),
      status: 'pass',
      detail:
        addrs.length === 0
          ? 'this machine has no non-loopback address'
          : `ports ${ports.join(', ')} do not answer on ${addrs.join(', ')}`,
    });
  else
    out.push({
      name: name('exposure'),
      status: proxies.length > 0 ? 'warn' : 'fail',
      detail: `answers on ${open.join(', ')} (tried from this machine; a host firewall does not show here)`,
      fix: `bind 127.0.0.1 (gateway.host, metrics.host), or block these ports in the firewall (deploy/firewall.md); confirm from another machine: nmap -p ${ports.join(',')} <public address>`,
    });

  // 8. Open files: the running gateway's limit, else the unit's LimitNOFILE, else this shell's.
  const limitFix = `LimitNOFILE=${MIN_OPEN_FILES} in the systemd unit (openclaw gateway install writes it), or ulimit -n ${MIN_OPEN_FILES} before starting`;
  const runningLimit = pid !== null ? probe.fileLimit(pid) : null;
  const unitLimit = units.map((u) => unitValue(u.text, 'LimitNOFILE')).find((v) => v !== undefined);
  const [what, soft] = runningLimit
    ? [`the running gateway (pid ${pid})`, runningLimit.soft]
    : unitLimit !== undefined
      ? [
          `the installed unit (LimitNOFILE=${unitLimit})`,
          unitLimit === 'infinity' ? Infinity : Number(unitLimit.split(':')[0]),
        ]
      : ['this shell (ulimit -n)', probe.fileLimit()?.soft ?? NaN];
  out.push(
    Number.isNaN(soft)
      ? {
          name: name('open files'),
          status: 'warn',
          detail: 'cannot read the open-file limit here',
          fix: limitFix,
        }
      : soft >= MIN_OPEN_FILES
        ? {
            name: name('open files'),
            status: 'pass',
            detail: `${what} may open ${soft === Infinity ? 'unlimited' : soft} files`,
          }
        : {
            name: name('open files'),
            status: 'warn',
            detail: `${what} may open only ${soft} files; every connection holds one`,
            fix: limitFix,
          },
  );

  // 9. API keys and other credentials in the environment, not in the config file.
  const fileText = cfg.config_path ? probe.readText(cfg.config_path) : null;
  const literal = fileText ? literalSecretKeys(fileText) : [];
  const fromEnv = [
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'OPENCLAW_AUTH_SECRET',
    'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
  ].filter((k) => env[k]);
  const envFiles = units
    .map((u) => unitValue(u.text, 'EnvironmentFile')?.replace(/^-/, ''))
    .filter((p): p is string => !!p && !p.includes('%'));
  const looseEnvFiles = envFiles.filter((p) => (probe.stat(p)?.mode ?? 0) & 0o007);
  if (literal.length > 0)
    out.push({
      name: name('keys'),
      status: 'fail',
      detail: `${cfg.config_path} holds literal credentials: ${literal.join(', ')}`,
      fix: 'move them to the environment (EnvironmentFile mode 0600, .env.gateway or a Secret) and write ${OPENAI_API_KEY} style references, or drop the keys',
    });
  else if (looseEnvFiles.length > 0)
    out.push({
      name: name('keys'),
      status: 'fail',
      detail: `${looseEnvFiles.join(', ')} is readable by every user`,
      fix: `chmod 600 ${looseEnvFiles.join(' ')}`,
    });
  else
    out.push({
      name: name('keys'),
      status: 'pass',
      detail: `no credentials in ${cfg.config_path ?? 'a config file'}${fromEnv.length ? `; from the environment: ${fromEnv.join(', ')}` : ''}`,
    });
  return out;
}

/** Loads the config like `doctor` does; a broken config yields no production checks (doctor reports it). */
export async function runProductionChecks(
  configPath?: string,
  probe: HostProbe = systemProbe(),
): Promise<ProductionCheck[]> {
  let config: ResolvedConfig;
  try {
    config = loadConfig(configPath ? { configPath } : {});
  } catch {
    return [];
  }
  return productionChecks({ config, env: process.env, probe });
}
