/**
 * @module Writes an adapted proxy config into a work dir and says how to check it and how to run it
 * in the foreground, so the static tests (check) and the live proxy tests (run) share one setup.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adaptCaddyfile,
  adaptHaproxyConfig,
  adaptNginxSite,
  type ProxyAdaptation,
} from './adapt-proxy-config.js';

export interface ToolCommand {
  cmd: string;
  args: string[];
  /** Extra environment for the tool (merged over process.env by runTool). */
  env: NodeJS.ProcessEnv;
}

export interface PreparedProxy {
  /** The adapted config file written into the work dir. */
  configFile: string;
  /** Validates the config and exits (non-zero on any error). */
  check: ToolCommand;
  /** Runs the proxy in the foreground until it is signalled. */
  run: ToolCommand;
}

/** A proxy adaptation whose writable paths all go to `workDir`. */
export type HarnessOptions = ProxyAdaptation & { workDir: string };

/**
 * nginx needs a main config around the site file: this one keeps pid, logs and temp files in the
 * work dir. Under root the workers would drop to "nobody", which cannot use the private work dir,
 * so they stay root (test harness only).
 */
function nginxMainConfig(siteFile: string, workDir: string): string {
  const w = (name: string) => join(workDir, name);
  return [
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${w('nginx.pid')};`,
    `error_log ${w('error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    access_log ${w('access.log')};`,
    `    client_body_temp_path ${w('client_body')};`,
    `    proxy_temp_path ${w('proxy')};`,
    `    fastcgi_temp_path ${w('fastcgi')};`,
    `    uwsgi_temp_path ${w('uwsgi')};`,
    `    scgi_temp_path ${w('scgi')};`,
    `    include ${siteFile};`,
    '}',
    '',
  ].join('\n');
}

/** Adapts an nginx site file (text of deploy/nginx/openclaw.conf or its Compose copy). */
export function prepareNginx(siteText: string, opts: HarnessOptions): PreparedProxy {
  const { workDir } = opts;
  mkdirSync(join(workDir, 'acme'), { recursive: true });
  const siteFile = join(workDir, 'openclaw.conf');
  const mainFile = join(workDir, 'nginx.conf');
  writeFileSync(siteFile, adaptNginxSite(siteText, opts));
  writeFileSync(mainFile, nginxMainConfig(siteFile, workDir));
  const base = ['-p', workDir, '-c', mainFile, '-e', join(workDir, 'error.log')];
  return {
    configFile: siteFile,
    check: { cmd: 'nginx', args: ['-t', '-q', ...base], env: {} },
    run: { cmd: 'nginx', args: [...base, '-g', 'daemon off;'], env: {} },
  };
}

/** Adapts a Caddyfile; Caddy's storage (certificates, autosave) is kept in the work dir. */
export function prepareCaddy(caddyText: string, opts: HarnessOptions): PreparedProxy {
  const { workDir } = opts;
  const file = join(workDir, 'Caddyfile');
  writeFileSync(file, adaptCaddyfile(caddyText, opts));
  const env = {
    HOME: workDir,
    XDG_DATA_HOME: join(workDir, 'data'),
    XDG_CONFIG_HOME: join(workDir, 'config'),
  };
  const cfg = ['--config', file, '--adapter', 'caddyfile'];
  return {
    configFile: file,
    check: { cmd: 'caddy', args: ['validate', ...cfg], env },
    run: { cmd: 'caddy', args: ['run', ...cfg], env },
  };
}

/** Adapts an HAProxy config; the check treats warnings as errors (-dW). */
export function prepareHaproxy(cfgText: string, opts: HarnessOptions): PreparedProxy {
  const file = join(opts.workDir, 'haproxy.cfg');
  writeFileSync(file, adaptHaproxyConfig(cfgText, opts));
  return {
    configFile: file,
    check: { cmd: 'haproxy', args: ['-dW', '-c', '-f', file], env: {} },
    run: { cmd: 'haproxy', args: ['-db', '-f', file], env: {} },
  };
}
