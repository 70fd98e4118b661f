/** @module The client's address, believing X-Forwarded-* only from configured trusted proxies (R2.4). */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;
  constructor(entries: string[]) {
    this.empty = entries.length === 0;
    for (const e of entries) {
      const [addr, bits] = e.split('/');
      const family = isIP(addr ?? '') === 6 ? 'ipv6' : 'ipv4';
      if (!addr || isIP(addr) === 0)
        throw new Error(`gateway.trusted_proxies: ${JSON.stringify(e)} is not an IP address or CIDR`);
      if (bits !== undefined) this.list.addSubnet(addr, Number(bits), family);
      else this.list.addAddress(addr, family);
    }
  }
  has(address: string): boolean {
    if (this.empty) return false;
    const a = normalise(address);
    return this.list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  }
}

function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export interface ClientOrigin {
  address: string;
  proto: 'http' | 'https';
}

/** Walks X-Forwarded-For from the right, skipping trusted hops, so a client cannot forge its address. */
export function clientOrigin(req: IncomingMessage, trusted: TrustedProxies): ClientOrigin {
  const peer = normalise(req.socket.remoteAddress ?? 'unknown');
  const tls = 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
  let proto: 'http' | 'https' = tls ? 'https' : 'http';
  if (!trusted.has(peer)) return { address: peer, proto };
  const xfp = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  if (xfp === 'https' || xfp === 'http') proto = xfp;
  const hops = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    address = normalise(hops[i]!);
    if (!trusted.has(address)) break;
  }
  return { address, proto };
}
