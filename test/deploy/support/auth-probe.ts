/**
 * @module A deliberately failing WebSocket login from a chosen loopback source address with chosen
 * extra headers (e.g. a forged X-Forwarded-For), to see which address the gateway attributes it to.
 */
import WebSocket from 'ws';

export interface AuthProbeOptions {
  /** Local address to connect from, e.g. `127.0.0.3` (any 127/8 address works on Linux). Required. */
  localAddress: string;
  /** Extra upgrade headers. Default none. */
  headers?: Record<string, string>;
  /** CA to trust for `wss://`. Default: system CAs. */
  ca?: string | Buffer;
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
}

/** Sends `connect` with an invalid token and resolves with the close code the gateway answers with. */
export function failedLogin(url: string, opts: AuthProbeOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      localAddress: opts.localAddress,
      headers: opts.headers ?? {},
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no close from ${url} within ${opts.timeoutMs ?? 5000} ms`));
    }, opts.timeoutMs ?? 5000);
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'req',
          id: '1',
          method: 'connect',
          params: {
            protocol: { min: 1, max: 1 },
            role: 'operator',
            client: { name: 'auth-probe', version: '0' },
            auth: { token: 'oc1.not-a-token.bad' },
          },
        }),
      ),
    );
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
