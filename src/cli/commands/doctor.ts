/** @module `openclaw doctor`: checks an installation and prints pass/fail with the fix for each check. */
import type { Command } from 'commander';
import { createServer, connect } from 'node:net';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { CronConfigJobSchema, loadConfig, type ResolvedConfig } from '../../config/index.js';
import {
  authSecretPath,
  checkSecretFileMode,
  isLoopbackHost,
  openGatewayStores,
} from '../../gateway/index.js';
import { newJob, timeoutWarnings } from '../../cron/index.js';
import type { CronJob } from '../../protocol/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { runProductionChecks } from './doctor-production.js';

export interface CheckResult {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

function canBind(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ host, port }, () => srv.close(() => resolve(null)));
  });
}

async function portCheck(
  name: string,
  host: string,
  port: number,
  isOurs: () => Promise<boolean>,
  key: string,
): Promise<CheckResult> {
  if (await probe(host, port)) {
    if (await isOurs())
      return { name, status: 'pass', detail: `${host}:${port} is held by a running OpenClaw gateway` };
    return {
      name,
      status: 'fail',
      detail: `${host}:${port} is in use by another process`,
      fix: `stop it (find it with: ss -tlnp | grep ${port}) or choose another port with ${key}`,
    };
  }
  const err = await canBind(host, port);
  if (!err) return { name, status: 'pass', detail: `${host}:${port} is free` };
  return {
    name,
    status: 'fail',
    detail: `cannot bind ${host}:${port}: ${err.code}`,
    fix: `check ${key} and the host address`,
  };
}

async function isOpenclaw(cfg: ResolvedConfig): Promise<boolean> {
  const host = cfg.gateway.host === '0.0.0.0' ? '127.0.0.1' : cfg.gateway.host;
  // A ref'd timer, not AbortSignal.timeout: against a peer that accepts and drops connections, fetch
  // can stay pending with no handle keeping the loop alive, and the CLI would exit 13 mid-check.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 1500);
  try {
    const res = await fetch(
      `${cfg.gateway.tls.enabled ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${cfg.gateway.port}/health`,
      { signal: ac.signal },
    );
    const body = (await res.json()) as { status?: string; version?: string };
    return typeof body.version === 'string' && typeof body.status === 'string';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function runChecks(configPath?: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let cfg: ResolvedConfig;
  try {
    cfg = loadConfig(configPath ? { configPath } : {});
    results.push({
      name: 'config',
      status: 'pass',
      detail: cfg.config_path ? `valid (${cfg.config_path})` : 'valid (defaults and environment)',
    });
  } catch (err) {
    results.push({
      name: 'config',
      status: 'fail',
      detail: (err as Error).message,
      fix: 'correct the key named above; see docs/config-reference.md',
    });
    return results;
  }
  const g = cfg.gateway;
  const loopback = isLoopbackHost(g.host);
  if (g.auth.mode === 'none' && !loopback) {
    results.push({
      name: 'bind safety',
      status: 'fail',
      detail: `auth.mode none on non-loopback bind ${g.host}`,
      fix: 'set gateway.auth.mode: token, or bind 127.0.0.1',
    });
  } else if (!loopback) {
    results.push({
      name: 'bind safety',
      status: 'warn',
      detail: `listening on ${g.host}, reachable beyond this machine`,
      fix: 'keep the gateway on 127.0.0.1 behind nginx/Caddy with TLS, and block 18789 in the firewall (docs/deployment.md)',
    });
  } else
    results.push({
      name: 'bind safety',
      status: 'pass',
      detail: `loopback bind ${g.host}, auth ${g.auth.mode}`,
    });

  results.push(
    await portCheck(
      'gateway port',
      g.host,
      g.port,
      () => isOpenclaw(cfg),
      'gateway.port / OPENCLAW_GATEWAY_PORT / --port',
    ),
  );
  if (cfg.metrics.enabled) {
    results.push(
      await portCheck(
        'metrics port',
        cfg.metrics.host,
        cfg.metrics.port,
        () => isOpenclaw(cfg),
        'metrics.port',
      ),
    );
  }

  const dd = cfg.data_dir;
  if (!existsSync(dd))
    results.push({
      name: 'data dir',
      status: 'pass',
      detail: `${dd} does not exist yet; it is created (mode 0700) at first start`,
    });
  else {
    try {
      accessSync(dd, constants.W_OK | constants.R_OK);
      const mode = statSync(dd).mode & 0o777;
      if (mode & 0o007) {
        results.push({
          name: 'data dir',
          status: 'warn',
          detail: `${dd} is accessible to all users (mode ${mode.toString(8)})`,
          fix: `chmod 700 ${dd}`,
        });
      } else
        results.push({
          name: 'data dir',
          status: 'pass',
          detail: `${dd} is writable (mode ${mode.toString(8)})`,
        });
    } catch {
      results.push({
        name: 'data dir',
        status: 'fail',
        detail: `${dd} is not writable by this user`,
        fix: `chown the directory to the gateway user, or set OPENCLAW_DATA_DIR`,
      });
    }
  }

  if (g.auth.mode === 'none') {
    results.push({
      name: 'auth',
      status: 'warn',
      detail: 'authentication is off (loopback only)',
      fix: 'set gateway.auth.mode: token for anything but a single-user laptop',
    });
  } else if (g.auth.secret) {
    results.push({
      name: 'auth',
      status: 'pass',
      detail: 'secret set by OPENCLAW_AUTH_SECRET or gateway.auth.secret',
    });
  } else {
    const p = authSecretPath(dd);
    if (!existsSync(p))
      results.push({
        name: 'auth',
        status: 'pass',
        detail: `no secret yet; one is generated at ${p} (mode 0600) at first start`,
      });
    else {
      const m = await checkSecretFileMode(p);
      results.push(
        m.ok
          ? { name: 'auth', status: 'pass', detail: `secret file ${p} (mode ${(m.mode ?? 0).toString(8)})` }
          : {
              name: 'auth',
              status: 'fail',
              detail: `secret file ${p} has mode ${(m.mode ?? 0).toString(8)}`,
              fix: `chmod 600 ${p}`,
            },
      );
    }
  }

  let storedJobs: CronJob[] = [];
  if (existsSync(dd)) {
    try {
      const stores = await openGatewayStores(cfg);
      try {
        storedJobs = await stores.cron.listJobs();
      } finally {
        await stores.close();
      }
      results.push({
        name: 'store',
        status: 'pass',
        detail: `database opens${cfg.store.encryption_key ? ' with the encryption key' : ''}`,
      });
    } catch (err) {
      results.push({
        name: 'store',
        status: 'fail',
        detail: (err as Error).message,
        fix: 'check OPENCLAW_WORKSPACE_ENCRYPTION_KEY and the data dir',
      });
    }
  }
  results.push(...cronTimeoutChecks(cfg, storedJobs));
  return results;
}

/**
 * R9.2: the jobs the gateway will run (config.yaml `cron:` replaces stored jobs of the same name at
 * start) against the task, WebSocket and proxy timeouts, one WARN per collision.
 */
function cronTimeoutChecks(cfg: ResolvedConfig, stored: CronJob[]): CheckResult[] {
  const jobs = new Map<string, Pick<CronJob, 'name' | 'template'>>(stored.map((j) => [j.name, j]));
  const out: CheckResult[] = [];
  for (const [i, raw] of cfg.cron.entries()) {
    try {
      const parsed = CronConfigJobSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`${issue.path.join('.')}: ${issue.message}`);
      }
      const job = newJob(parsed.data, 'config');
      jobs.set(job.name, job);
    } catch (err) {
      out.push({
        name: 'cron timeouts',
        status: 'fail',
        detail: `cron.${i} (${raw.name}): ${(err as Error).message}`,
        fix: 'correct the cron entry in config.yaml; the gateway refuses to start with it',
      });
    }
  }
  const warnings = timeoutWarnings(cfg, [...jobs.values()]);
  for (const w of warnings) {
    out.push({ name: 'cron timeouts', status: 'warn', detail: w.message.split('; ')[0]!, fix: w.fix });
  }
  if (warnings.length === 0 && out.length === 0) {
    out.push({
      name: 'cron timeouts',
      status: 'pass',
      detail:
        jobs.size === 0
          ? 'no cron jobs'
          : `${jobs.size} cron job(s) fit within tasks.default_timeout, the WebSocket idle timeout and gateway.proxy_read_timeout`,
    });
  }
  return out;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check config, ports, data dir, auth and bind safety; print the fix for each failure')
    .option('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .option(
      '--production',
      'add the production checklist: non-root, proxy, TLS, secret, exposure, limits, keys',
    )
    .action(async (opts: { config?: string; json?: boolean; production?: boolean }) => {
      const results = await runChecks(opts.config);
      if (opts.production) results.push(...(await runProductionChecks(opts.config)));
      if (opts.json) printJson({ ok: results.every((r) => r.status !== 'fail'), checks: results });
      else {
        for (const r of results) {
          printLine(`[${r.status.toUpperCase()}] ${r.name}: ${r.detail}`);
          if (r.fix && r.status !== 'pass') printLine(`       fix: ${r.fix}`);
        }
      }
      if (results.some((r) => r.status === 'fail')) throw new CliExit(EXIT.TASK_FAILED);
    });
}
