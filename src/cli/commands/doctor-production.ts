/**
 * @module `openclaw doctor --production`: the seed 11.1 checklist, as far as a machine can check it
 * from the gateway's host (non-root, bind and proxy, auth, TLS, secret strength, data dir modes,
 * port exposure on this host's own addresses, open-file limit, API keys outside the config file).
 */
import { loadConfig, type ResolvedConfig } from '../../config/index.js';
import { isLoopbackHost } from '../../gateway/index.js';
import { systemProbe, type HostProbe, type Listener } from './doctor-production-probe.js';
import {
  dataDirVerdict,
  keysVerdict,
  secretVerdict,
  tlsVerdict,
  unitValue,
  type UnitText,
  type Verdict,
} from './doctor-production-files.js';
import { unitPath } from './gateway-install.js';

export { secretBits } from './doctor-production-files.js';

/** Same shape as doctor's CheckResult (kept separate so the two modules do not import each other). */
export interface ProductionCheck extends Verdict {
  name: string;
}

/** The open-file limit seed 11.5 asks for (every WebSocket connection holds one descriptor). */
export const MIN_OPEN_FILES = 65536;
/** How long a connection attempt to one of this host's addresses may take. */
const PROBE_TIMEOUT_MS = 800;

export interface ProductionContext {
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  probe: HostProbe;
  /** Installed units to read User=, LimitNOFILE and EnvironmentFile from. Default: the system and user unit paths. */
  unitFiles?: string[];
}

/** What the checks share: the installed units and the gateway process listening on the port, if any. */
interface Facts {
  cfg: ResolvedConfig;
  probe: HostProbe;
  units: UnitText[];
  systemUnit: UnitText | undefined;
  running: Listener | undefined;
  pid: number | null;
}

const USER_FIX =
  'run the gateway as a dedicated user: sudo useradd --system --shell /usr/sbin/nologin openclaw, then openclaw gateway install --system (User=openclaw)';

/** Least privilege: the running gateway, else the installed system unit, else whoever runs this. */
function userVerdict({ cfg, probe, systemUnit, running }: Facts): Verdict {
  const port = cfg.gateway.port;
  const who = (uid: number) => `uid ${uid}${probe.userName(uid) ? ` (${probe.userName(uid)})` : ''}`;
  if (running)
    return running.uid === 0
      ? { status: 'fail', detail: `the gateway on port ${port} runs as root`, fix: USER_FIX }
      : { status: 'pass', detail: `the gateway on port ${port} runs as ${who(running.uid)}` };
  if (systemUnit) {
    const user = unitValue(systemUnit.text, 'User');
    return !user || user === 'root' || user === '0'
      ? { status: 'fail', detail: `${systemUnit.path} runs the gateway as root`, fix: USER_FIX }
      : { status: 'pass', detail: `${systemUnit.path} runs the gateway as ${user}` };
  }
  const uid = probe.uid();
  return uid === 0
    ? {
        status: 'fail',
        detail: 'no gateway is running and this shell is root: a gateway started from here would run as root',
        fix: USER_FIX,
      }
    : { status: 'pass', detail: `a gateway started from here runs as ${who(uid ?? -1)}` };
}

/** Network isolation: loopback, or behind a trusted reverse proxy. */
function bindVerdict({ cfg }: Facts): Verdict {
  const g = cfg.gateway;
  if (isLoopbackHost(g.host))
    return {
      status: 'pass',
      detail: `binds ${g.host}: reachable from this machine only (e.g. a local nginx/Caddy)`,
    };
  if (g.trusted_proxies.length > 0)
    return {
      status: 'warn',
      detail: `binds ${g.host} behind the trusted proxies ${g.trusted_proxies.join(', ')}`,
      fix: `let only the proxy reach port ${g.port} (firewall, deploy/firewall.md); bind 127.0.0.1 when the proxy runs on this machine`,
    };
  return {
    status: 'fail',
    detail: `binds ${g.host} with no reverse proxy (gateway.trusted_proxies is empty): clients reach the gateway directly`,
    fix: 'bind 127.0.0.1 (gateway.host) and put nginx or Caddy in front (deploy/nginx, deploy/caddy), listing it in gateway.trusted_proxies',
  };
}

function authVerdict({ cfg }: Facts): Verdict {
  const g = cfg.gateway;
  if (g.auth.mode === 'none')
    return {
      status: 'fail',
      detail: 'gateway.auth.mode is none: anyone who reaches the port is admin',
      fix: 'remove gateway.auth.mode (the default is token)',
    };
  const certs =
    g.tls.enabled && g.tls.client_auth !== 'none' ? `, client certificates ${g.tls.client_auth}` : '';
  return { status: 'pass', detail: `bearer tokens required${certs}` };
}

/**
 * The gateway and metrics ports, tried on this machine's own non-loopback addresses only (never
 * another host). Traffic to an own address stays on this host, so a host firewall does not apply.
 */
async function exposureVerdict({ cfg, probe, running }: Facts): Promise<Verdict> {
  const g = cfg.gateway;
  const ports = [g.port, ...(cfg.metrics.enabled ? [cfg.metrics.port] : [])].filter((p) => p > 0);
  const addrs = probe.externalAddresses();
  const tries = addrs.flatMap((a) =>
    ports.map(async (p) =>
      (await probe.accepts(a, p, PROBE_TIMEOUT_MS)) ? `${a.includes(':') ? `[${a}]` : a}:${p}` : null,
    ),
  );
  const open = (await Promise.all(tries)).filter((x): x is string => x !== null);
  const local = isLoopbackHost(g.host) ? g.host : '127.0.0.1';
  if (open.length === 0 && !running && !(await probe.accepts(local, g.port, PROBE_TIMEOUT_MS)))
    return {
      status: 'warn',
      detail: `nothing listens on port ${g.port} now, so exposure cannot be judged`,
      fix: 'run this check while the gateway runs',
    };
  if (open.length === 0)
    return {
      status: 'pass',
      detail:
        addrs.length === 0
          ? 'this machine has no non-loopback address'
          : `ports ${ports.join(', ')} do not answer on ${addrs.join(', ')}`,
    };
  return {
    status: g.trusted_proxies.length > 0 ? 'warn' : 'fail',
    detail: `answers on ${open.join(', ')} (tried from this machine; a host firewall does not show here)`,
    fix: `bind 127.0.0.1 (gateway.host, metrics.host), or block these ports in the firewall (deploy/firewall.md); confirm from another machine: nmap -p ${ports.join(',')} <public address>`,
  };
}

/** Open files: the running gateway's limit, else the unit's LimitNOFILE, else this shell's. */
function openFilesVerdict({ probe, units, pid }: Facts): Verdict {
  const fix = `LimitNOFILE=${MIN_OPEN_FILES} in the systemd unit (openclaw gateway install writes it), or ulimit -n ${MIN_OPEN_FILES} before starting`;
  const runningLimit = pid !== null ? probe.fileLimit(pid) : null;
  const unitLimit = units.map((u) => unitValue(u.text, 'LimitNOFILE')).find((v) => v !== undefined);
  let what: string;
  let soft: number;
  if (runningLimit) [what, soft] = [`the running gateway (pid ${pid})`, runningLimit.soft];
  else if (unitLimit !== undefined)
    [what, soft] = [
      `the installed unit (LimitNOFILE=${unitLimit})`,
      unitLimit === 'infinity' ? Infinity : Number(unitLimit.split(':')[0]),
    ];
  else [what, soft] = ['this shell (ulimit -n)', probe.fileLimit()?.soft ?? NaN];
  if (Number.isNaN(soft)) return { status: 'warn', detail: 'cannot read the open-file limit here', fix };
  if (soft >= MIN_OPEN_FILES)
    return { status: 'pass', detail: `${what} may open ${soft === Infinity ? 'unlimited' : soft} files` };
  return { status: 'warn', detail: `${what} may open only ${soft} files; every connection holds one`, fix };
}

export async function productionChecks(ctx: ProductionContext): Promise<ProductionCheck[]> {
  const { config: cfg, env, probe } = ctx;
  const units = (ctx.unitFiles ?? [unitPath({ system: true }), unitPath({})])
    .map((path) => ({ path, text: probe.readText(path) }))
    .filter((u): u is UnitText => u.text !== null);
  const running = cfg.gateway.port > 0 ? probe.listeners(cfg.gateway.port)[0] : undefined;
  const facts: Facts = {
    cfg,
    probe,
    units,
    systemUnit: units.find((u) => /\[Install\][\s\S]*WantedBy=multi-user\.target/.test(u.text)),
    running,
    pid: running ? probe.pidOfSocket(running.inode) : null,
  };
  const checks: Array<[string, Verdict]> = [
    ['user', userVerdict(facts)],
    ['bind', bindVerdict(facts)],
    ['auth', authVerdict(facts)],
    ['tls', tlsVerdict(cfg, probe)],
    ['secret', secretVerdict(cfg, env, probe)],
    ['data dir', dataDirVerdict(cfg, probe)],
    ['exposure', await exposureVerdict(facts)],
    ['open files', openFilesVerdict(facts)],
    ['keys', keysVerdict(cfg, env, probe, units)],
  ];
  return checks.map(([name, v]) => ({ name: `production: ${name}`, ...v }));
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
