/**
 * @module A client process for the connections benchmark: opens many WebSocket connections (with the
 * gateway `connect` handshake when given a token), keeps them idle, and reports timings over IPC.
 *
 * IPC in:  {type:'open', url, token|null, count, window, localAddress}  -> {type:'opened', ...}
 *          {type:'check'} -> {type:'alive', open}      {type:'close'} -> closes everything and exits
 */
import { WebSocket } from 'ws';

const sockets = [];

function connectFrame(token) {
  return JSON.stringify({
    type: 'req',
    id: 'c1',
    method: 'connect',
    params: {
      protocol: { min: 1, max: 1 },
      role: 'operator',
      client: { name: 'openclaw-bench-idle', version: '1' },
      auth: { token },
    },
  });
}

/** Opens one connection; resolves true once it is usable (authenticated, for the gateway). */
function openOne(url, token, localAddress) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress, handshakeTimeout: 30_000 });
    let settled = false;
    const settle = (ok, err) => {
      if (settled) return;
      settled = true;
      resolve({ ok, err });
    };
    ws.on('error', (err) => settle(false, err.message));
    ws.on('close', (code) => settle(false, `closed with ${code}`));
    ws.once('open', () => {
      sockets.push(ws);
      if (!token) return settle(true);
      ws.send(connectFrame(token));
      ws.once('message', (data) => {
        const res = JSON.parse(String(data));
        settle(res.ok === true, res.ok ? undefined : `${res.error?.code}: ${res.error?.message}`);
      });
    });
  });
}

async function openMany({ url, token, count, window, localAddress }) {
  const t0 = performance.timeOrigin + performance.now();
  let next = 0;
  let opened = 0;
  let failed = 0;
  let firstError;
  async function lane() {
    while (next < count) {
      next++;
      const r = await openOne(url, token, localAddress);
      if (r.ok) opened++;
      else {
        failed++;
        firstError ??= r.err;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
  const t1 = performance.timeOrigin + performance.now();
  process.send({ type: 'opened', opened, failed, firstError, t0, t1 });
}

process.on('message', (m) => {
  if (m.type === 'open') void openMany(m);
  else if (m.type === 'check') {
    process.send({ type: 'alive', open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length });
  } else if (m.type === 'close') {
    for (const s of sockets) s.terminate();
    setTimeout(() => process.exit(0), 50);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
