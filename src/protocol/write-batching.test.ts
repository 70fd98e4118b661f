/** @module batchWritesPerTurn: frames written in one turn leave the socket together, on real TCP. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { batchWritesPerTurn } from './write-batching.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let server: Server;
/** Chunks each accepted connection has received, in arrival order. */
const received: Buffer[][] = [];

before(async () => {
  server = createServer((conn) => {
    const chunks: Buffer[] = [];
    received.push(chunks);
    conn.on('data', (d: Buffer) => chunks.push(d));
    conn.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
after(async () => {
  server.close();
  await once(server, 'close');
});

/** A connected client socket and the list its peer's chunks land in. */
async function client(): Promise<{ socket: Socket; chunks: () => Buffer[] }> {
  const accepted = received.length;
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  while (received.length === accepted) await nextTurn();
  const list = received[accepted]!;
  return { socket, chunks: () => list };
}

async function receivedBytes(chunks: () => Buffer[], n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Buffer.concat(chunks()).length < n) {
    if (Date.now() > deadline) assert.fail(`only ${Buffer.concat(chunks()).length} of ${n} bytes arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('batchWritesPerTurn', () => {
  test('three writes in one turn stay in the socket until the turn ends, then arrive as one chunk', async () => {
    const { socket, chunks } = await client();
    try {
      const hold = batchWritesPerTurn(socket);
      for (const frame of ['one|', 'two|', 'three|']) {
        hold();
        socket.write(frame);
      }
      assert.equal(socket.writableCorked, 1, 'one cork however many frames');
      assert.equal(socket.writableLength, 'one|two|three|'.length, 'nothing handed to the kernel yet');
      await nextTurn();
      assert.equal(socket.writableCorked, 0);
      await receivedBytes(chunks, 'one|two|three|'.length);
      assert.deepEqual(
        chunks().map((c) => c.toString()),
        ['one|two|three|'],
      );
    } finally {
      socket.destroy();
    }
  });

  test('a cork/uncork pair inside the turn (as ws does around a frame) does not flush early', async () => {
    const { socket, chunks } = await client();
    try {
      const hold = batchWritesPerTurn(socket);
      for (const frame of ['a', 'b']) {
        hold();
        socket.cork();
        socket.write(frame);
        socket.uncork();
      }
      assert.equal(socket.writableCorked, 1);
      assert.equal(socket.writableLength, 2);
      await nextTurn();
      await receivedBytes(chunks, 2);
      assert.deepEqual(
        chunks().map((c) => c.toString()),
        ['ab'],
      );
    } finally {
      socket.destroy();
    }
  });

  test('corks again in a later turn, and an idle turn leaves the socket uncorked', async () => {
    const { socket } = await client();
    try {
      const hold = batchWritesPerTurn(socket);
      hold();
      assert.equal(socket.writableCorked, 1);
      await nextTurn();
      assert.equal(socket.writableCorked, 0);
      await nextTurn();
      assert.equal(socket.writableCorked, 0);
      hold();
      hold();
      assert.equal(socket.writableCorked, 1);
      await nextTurn();
      assert.equal(socket.writableCorked, 0);
    } finally {
      socket.destroy();
    }
  });

  test('without a socket hold() is a no-op', () => {
    const hold = batchWritesPerTurn(undefined);
    assert.doesNotThrow(() => {
      hold();
      hold();
    });
  });

  test('hold() after destroy, and a destroy before the turn ends, do not throw', async () => {
    const { socket } = await client();
    const hold = batchWritesPerTurn(socket);
    socket.destroy();
    assert.doesNotThrow(() => hold());
    assert.equal(socket.writableCorked, 0, 'a destroyed socket is not corked');

    const other = await client();
    const holdOther = batchWritesPerTurn(other.socket);
    holdOther();
    other.socket.write('lost');
    other.socket.destroy();
    // The uncork scheduled for the end of the turn finds the socket destroyed and leaves it alone.
    await nextTurn();
    await nextTurn();
    assert.doesNotThrow(() => holdOther());
  });
});
