/**
 * @module Makes a public name (gateway.example.com, the name our proxy configs and certificates use)
 * resolve to 127.0.0.1, in this process or in a child through NODE_OPTIONS. Clients can then connect
 * by that name, with its SNI and Host header, to a proxy on loopback, and the shipped site blocks
 * (which match on the name) need no change.
 */
import dns from 'node:dns';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;

const PATCH_SOURCE = (names: readonly string[]) => `
import dns from 'node:dns';
const names = new Set(${JSON.stringify(names.map((n) => n.toLowerCase()))});
const original = dns.lookup;
dns.lookup = function lookup(host, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof host === 'string' && names.has(host.toLowerCase())) {
    const all = typeof options === 'object' && options !== null && options.all;
    if (all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
    return process.nextTick(callback, null, '127.0.0.1', 4);
  }
  return original.call(this, host, options, callback);
};
`;

/** Resolves `names` to 127.0.0.1 in this process until the returned function is called. */
export function resolveToLoopback(names: readonly string[]): () => void {
  const set = new Set(names.map((n) => n.toLowerCase()));
  const original = dns.lookup;
  const patched = function lookup(host: string, options: unknown, callback?: LookupCallback) {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = typeof options === 'object' && options !== null ? (options as { all?: boolean }) : {};
    if (set.has(host.toLowerCase())) {
      if (opts.all) process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
      else process.nextTick(cb, null, '127.0.0.1', 4);
      return;
    }
    (original as (...a: unknown[]) => void).call(dns, host, options, callback);
  };
  dns.lookup = patched as typeof dns.lookup;
  return () => {
    if (dns.lookup === (patched as typeof dns.lookup)) dns.lookup = original;
  };
}

/**
 * Writes a preload module into `dir` that does the same in a child process, and returns the
 * NODE_OPTIONS value that loads it (append it to any NODE_OPTIONS the child already gets).
 */
export function loopbackPreload(dir: string, names: readonly string[]): string {
  const file = join(dir, 'resolve-to-loopback.mjs');
  writeFileSync(file, PATCH_SOURCE(names));
  return `--import=${pathToFileURL(file).href}`;
}
