/**
 * @module Rewrites the shipped nginx, Caddy and HAProxy configs so they can run on a test machine:
 * only listen ports, upstream addresses, certificate paths and the paths the proxy writes change, so
 * what is validated (and, later, proxied through) is otherwise the file an operator installs.
 */
import { join } from 'node:path';
import type { TlsFiles } from './tls.js';

/** What to change in a shipped proxy config. Everything not given stays as shipped. */
export interface ProxyAdaptation {
  /** Listen/bind ports to replace, original -> new, e.g. `{ 80: 18080, 443: 18443 }`. Default none. */
  ports?: Readonly<Record<number, number>>;
  /** Address a rewritten listener binds to. Default `127.0.0.1`. */
  bindHost?: string;
  /**
   * Gateway addresses (`host:port`): nginx upstream `server` lines and HAProxy `server` lines take
   * them in order of appearance, each Caddy `reverse_proxy` line takes them from the first; the last
   * one is reused when there are more lines than addresses. Default: unchanged.
   */
  upstreams?: readonly string[];
  /** Certificate files replacing the shipped certificate paths. Default: unchanged. */
  tls?: TlsFiles;
  /** Directory for what the proxy writes (access logs, ACME webroot). Default: paths unchanged. */
  workDir?: string;
}

const isComment = (line: string): boolean => /^\s*#/.test(line);

function mappedPort(a: ProxyAdaptation, port: string): number | undefined {
  return a.ports?.[Number(port)];
}

function upstreamPicker(a: ProxyAdaptation): () => string | undefined {
  let i = 0;
  return () => {
    const list = a.upstreams;
    if (!list || list.length === 0) return undefined;
    return list[Math.min(i++, list.length - 1)];
  };
}

/**
 * nginx site file (deploy/nginx/openclaw.conf and the Compose copy). IPv6 listeners are commented
 * out when their port is remapped, because test machines often have no IPv6 and the IPv4 line
 * already listens on the new port.
 */
export function adaptNginxSite(text: string, a: ProxyAdaptation): string {
  const bind = a.bindHost ?? '127.0.0.1';
  const nextUpstream = upstreamPicker(a);
  let inUpstream = false;
  return text
    .split('\n')
    .map((line) => {
      if (isComment(line)) return line;
      if (/^\s*upstream\s+\S+\s*\{/.test(line)) inUpstream = true;
      else if (inUpstream && /^\s*\}/.test(line)) inUpstream = false;

      const listen = /^(\s*)listen\s+(?:(\[[^\]]*\]|[^\s:;]+):)?(\d+)\b(.*)$/.exec(line);
      if (listen) {
        const [, indent = '', host, port = '', rest = ''] = listen;
        const to = mappedPort(a, port);
        if (to === undefined) return line;
        if (host?.startsWith('[')) return `${indent}# (IPv6 listener disabled for the test) ${line.trim()}`;
        return `${indent}listen ${bind}:${to}${rest}`;
      }
      const server = inUpstream ? /^(\s*)server\s+\S+?(\s.*|;.*)$/.exec(line) : null;
      if (server) {
        const to = nextUpstream();
        return to === undefined ? line : `${server[1]}server ${to}${server[2]}`;
      }
      // Directives may share a line with others (`location /x { root /y; }`), so match anywhere.
      if (a.tls) {
        const tls = a.tls;
        line = line
          .replace(/(^|[\s{;])ssl_certificate\s+[^;]+;/, `$1ssl_certificate ${tls.cert};`)
          .replace(/(^|[\s{;])ssl_certificate_key\s+[^;]+;/, `$1ssl_certificate_key ${tls.key};`)
          .replace(/(^|[\s{;])ssl_trusted_certificate\s+[^;]+;/, `$1ssl_trusted_certificate ${tls.chain};`);
      }
      if (a.workDir) {
        const w = a.workDir;
        line = line
          .replace(/(^|[\s{;])root\s+\/var\/www\/certbot\s*;/, `$1root ${join(w, 'acme')};`)
          .replace(/(^|[\s{;])access_log\s+(?!off\b)[^\s;]+/, `$1access_log ${join(w, 'access.log')}`);
      }
      return line;
    })
    .join('\n');
}

/** Counts `{` minus `}` outside comments, for Caddyfile block depth. */
function braceDelta(line: string): number {
  const code = line.replace(/(^|\s)#.*$/, '');
  return (code.match(/\{/g)?.length ?? 0) - (code.match(/\}/g)?.length ?? 0);
}

/**
 * Caddyfile. Site addresses get the port that replaces 443, `http_port`/`https_port` move Caddy's
 * own listeners, the admin endpoint is switched off (its fixed port 2019 would collide between
 * parallel tests), and `tls CERT KEY` replaces the ACME certificate.
 */
export function adaptCaddyfile(text: string, a: ProxyAdaptation): string {
  const https = a.ports?.[443];
  const http = a.ports?.[80];
  const globalLines = [
    '\tadmin off',
    ...(http !== undefined ? [`\thttp_port ${http}`] : []),
    ...(https !== undefined ? [`\thttps_port ${https}`] : []),
  ];
  const lines = text.split('\n');
  const out: string[] = [];
  let depth = 0;
  let sawGlobal = false;
  let sawCode = false;
  for (let line of lines) {
    const trimmed = line.trim();
    const code = trimmed !== '' && !trimmed.startsWith('#');
    if (depth === 0 && code) {
      if (trimmed === '{' && !sawCode) {
        sawGlobal = true;
        out.push(line, ...globalLines);
        depth += 1;
        sawCode = true;
        continue;
      }
      if (!sawCode && !sawGlobal) out.push('{', ...globalLines, '}', '');
      sawCode = true;
      const site = /^(.*?)\s*\{\s*$/.exec(trimmed);
      // "(name) {" is a snippet, not a site.
      if (site?.[1] && !site[1].startsWith('(')) {
        const addrs = site[1]
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((addr) => {
            const withPort = /^(.*):(\d+)$/.exec(addr);
            if (withPort) {
              const to = mappedPort(a, withPort[2] as string);
              return to === undefined ? addr : `${withPort[1]}:${to}`;
            }
            return https === undefined ? addr : `${addr}:${https}`;
          });
        out.push(`${addrs.join(', ')} {`);
        if (a.tls) out.push(`\ttls ${a.tls.cert} ${a.tls.key}`);
        depth += 1;
        continue;
      }
    }
    if (code && /^\s*reverse_proxy\b/.test(line)) {
      // Every reverse_proxy of a site fronts the same gateway(s): addresses count from 0 per line.
      const nextUpstream = upstreamPicker(a);
      line = line.replace(/(\s)((?:https?:\/\/)?[A-Za-z0-9.[\]:-]+:\d+)(?=\s|$)/g, (m, sp: string) => {
        const to = nextUpstream();
        return to === undefined ? m : `${sp}${to}`;
      });
    }
    if (code && a.workDir) {
      line = line.replace(/^(\s*output\s+file)\s+\S+/, `$1 ${join(a.workDir, 'caddy-access.log')}`);
    }
    if (code) depth += braceDelta(line);
    out.push(line);
  }
  return out.join('\n');
}

/** HAProxy config: `bind` ports, `server` addresses and `crt` paths of active bind lines. */
export function adaptHaproxyConfig(text: string, a: ProxyAdaptation): string {
  const bindHost = a.bindHost ?? '127.0.0.1';
  const nextUpstream = upstreamPicker(a);
  return text
    .split('\n')
    .map((line) => {
      if (isComment(line)) return line;
      const bind = /^(\s*bind\s+)(\S*?):(\d+)(.*)$/.exec(line);
      if (bind) {
        const [, head = '', , port = '', rest = ''] = bind;
        const to = mappedPort(a, port);
        let out = to === undefined ? line : `${head}${bindHost}:${to}${rest}`;
        if (a.tls) out = out.replace(/(\scrt\s+)\S+/, `$1${a.tls.pem}`);
        return out;
      }
      const server = /^(\s*server\s+\S+\s+)(\S+)(.*)$/.exec(line);
      if (server) {
        const to = nextUpstream();
        return to === undefined ? line : `${server[1]}${to}${server[3]}`;
      }
      return line;
    })
    .join('\n');
}
