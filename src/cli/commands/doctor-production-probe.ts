/**
 * @module What `openclaw doctor --production` asks the host: who listens on a port (Linux /proc),
 * a process's open-file limit, user names, this machine's own addresses and whether a port answers
 * on them. Behind one interface so the checks can be tested with a fake host.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface Listener {
  /** Local address of the listening socket, e.g. `127.0.0.1`, `0.0.0.0`, `::`. */
  address: string;
  port: number;
  uid: number;
  inode: number;
}

export interface FileLimit {
  soft: number;
  hard: number;
}

export interface HostProbe {
  /** uid of this process; null where there are no uids. */
  uid(): number | null;
  /** Listening TCP sockets on `port`. Empty when none (or not Linux). */
  listeners(port: number): Listener[];
  /** The pid owning a socket inode, if this user may see it. */
  pidOfSocket(inode: number): number | null;
  /** Open-file limit of a process (default this one); null when unknown. */
  fileLimit(pid?: number): FileLimit | null;
  userName(uid: number): string | null;
  /** This machine's addresses that other hosts could connect to (no loopback, no link-local). */
  externalAddresses(): string[];
  /** Whether host:port accepts a TCP connection within `timeoutMs`. */
  accepts(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** A file's text, or null when missing or unreadable. */
  readText(path: string): string | null;
  /** Permission bits and owner of a path, or null when it does not exist. */
  stat(path: string): { mode: number; uid: number } | null;
}

/** `0100007F` -> `127.0.0.1`; 32 hex digits (four little-endian words) -> an IPv6 address. */
export function decodeProcAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The URL parser writes IPv6 in its canonical (RFC 5952) short form.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** LISTEN sockets (state 0A) of /proc/net/tcp or tcp6 text on `port`. */
export function parseProcNetTcp(text: string, port: number): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [addr, portHex] = (f[1] ?? '').split(':');
    if (f[3] !== '0A' || !addr || !portHex || parseInt(portHex, 16) !== port) continue;
    out.push({ address: decodeProcAddress(addr), port, uid: Number(f[7]), inode: Number(f[9]) });
  }
  return out;
}

/** "Max open files" of /proc/<pid>/limits text. */
export function parseFileLimit(text: string): FileLimit | null {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line?.trim().split(/\s+/).slice(3, 5) ?? [];
  const n = (v: string | undefined) => (v === 'unlimited' ? Infinity : Number(v));
  if (soft === undefined || hard === undefined || Number.isNaN(n(soft)) || Number.isNaN(n(hard))) return null;
  return { soft: n(soft), hard: n(hard) };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function systemProbe(): HostProbe {
  return {
    uid: () => process.getuid?.() ?? null,
    listeners: (port) =>
      ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((p) => parseProcNetTcp(read(p) ?? '', port)),
    pidOfSocket(inode) {
      const target = `socket:[${inode}]`;
      let pids: string[] = [];
      try {
        pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
      } catch {
        return null;
      }
      for (const pid of pids) {
        let fds: string[] = [];
        try {
          fds = readdirSync(`/proc/${pid}/fd`);
        } catch {
          continue; // another user's process, or gone
        }
        for (const fd of fds) {
          try {
            if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return Number(pid);
          } catch {
            // closed meanwhile
          }
        }
      }
      return null;
    },
    fileLimit: (pid) => parseFileLimit(read(`/proc/${pid ?? 'self'}/limits`) ?? ''),
    userName(uid) {
      const line = (read('/etc/passwd') ?? '').split('\n').find((l) => l.split(':')[2] === String(uid));
      return line?.split(':')[0] ?? null;
    },
    externalAddresses: () =>
      Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((i) => !i.internal && !(i.family === 'IPv6' && /^fe80:/i.test(i.address)))
        .map((i) => i.address),
    accepts: (host, port, timeoutMs) =>
      new Promise((resolve) => {
        const s = connect({ host, port });
        const done = (ok: boolean) => {
          s.destroy();
          resolve(ok);
        };
        s.setTimeout(timeoutMs, () => done(false));
        s.once('connect', () => done(true));
        s.once('error', () => done(false));
      }),
    readText: read,
    stat(path) {
      try {
        const s = statSync(path);
        return { mode: s.mode & 0o777, uid: s.uid };
      } catch {
        return null;
      }
    },
  };
}
