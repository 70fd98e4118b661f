/**
 * @module A bare protocol v1 connection for benchmarks: a `ws` socket plus the `connect` handshake and
 * nothing else, so that what is measured is the gateway, not a client library.
 */
import { WebSocket } from 'ws';

/** Opens `url` and, when `token` is given, completes the `connect` handshake as `role`. */
export function openRaw(
  url: string,
  token: string | undefined,
  role: 'operator' | 'admin' = 'operator',
  timeoutMs = 10_000,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no handshake on ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('open', () => {
      if (token === undefined) {
        clearTimeout(timer);
        resolve(ws);
        return;
      }
      ws.send(
        JSON.stringify({
          type: 'req',
          id: 'c1',
          method: 'connect',
          params: {
            protocol: { min: 1, max: 1 },
            role,
            client: { name: 'openclaw-bench', version: '1' },
            auth: { token },
          },
        }),
      );
      ws.once('message', (data) => {
        clearTimeout(timer);
        const res = JSON.parse(String(data)) as { ok?: boolean; error?: { code: string; message: string } };
        if (res.ok) resolve(ws);
        else {
          ws.terminate();
          reject(new Error(`connect refused: ${res.error?.code} ${res.error?.message}`));
        }
      });
    });
  });
}

export function closeRaw(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000, 'bench done');
    setTimeout(() => ws.terminate(), 2000).unref();
  });
}
