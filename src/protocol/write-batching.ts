/** @module Frames sent in one event-loop turn leave in one socket write. */
import type { Writable } from 'node:stream';

/**
 * Returns `hold()`: call it before each `ws.send` on that socket. The first call in a turn corks the
 * socket and the next `setImmediate` uncorks it, so every frame sent meanwhile goes out in one writev.
 * A loopback write is a syscall that runs the whole TCP path to the receiver; under load the gateway
 * sent several frames per socket per turn and spent a fifth of its time in writev
 * (bench/task-throughput). `ws` corks around each frame itself; corks nest, so its own uncork does not
 * flush early. An idle sender pays one `setImmediate` (the poll phase does not block while one is due).
 */
export function batchWritesPerTurn(socket: Writable | undefined): () => void {
  if (socket === undefined) return () => {};
  let held = false;
  const release = () => {
    held = false;
    if (!socket.destroyed) socket.uncork();
  };
  return () => {
    if (held || socket.destroyed) return;
    held = true;
    socket.cork();
    setImmediate(release);
  };
}
