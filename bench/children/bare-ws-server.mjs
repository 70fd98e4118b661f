/**
 * @module The floor for gateway benchmarks: a bare `ws` server set up like the gateway's (one HTTP
 * server, upgrades through `handleUpgrade`, perMessageDeflate off, backlog 4096) that does nothing else.
 *
 * Usage (IPC child): node bare-ws-server.mjs <reply-bytes>
 *   Answers every text frame with one fixed frame of exactly <reply-bytes> bytes (valid JSON), so a
 *   round trip moves the same bytes as a gateway `health` call. 0 means it never answers (idle sockets).
 * IPC: sends {type:'listening', port}; answers {type:'memory'} with process.memoryUsage() and the count.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const replyBytes = Number(process.argv[2] ?? '0');

/** A response frame padded to `size` bytes; the shape mirrors the gateway's so JSON.parse costs the same. */
function paddedReply(size) {
  const head = '{"type":"res","id":"1","ok":true,"payload":{"pad":"';
  const tail = '"}}';
  const pad = Math.max(0, size - head.length - tail.length);
  return Buffer.from(head + 'x'.repeat(pad) + tail);
}
const reply = replyBytes > 0 ? paddedReply(replyBytes) : null;

const http = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
let open = 0;
http.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => {
    open++;
    ws.on('close', () => open--);
    ws.on('error', () => {});
    if (reply) ws.on('message', () => ws.send(reply));
  });
});
http.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.send({ type: 'listening', port: http.address().port, replyBytes: reply?.length ?? 0 });
});
process.on('message', (m) => {
  if (m?.type === 'memory') process.send({ type: 'memory', open, ...process.memoryUsage() });
  if (m?.type === 'stop') {
    for (const ws of wss.clients) ws.terminate();
    http.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
