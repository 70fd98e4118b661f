/** @module TurnBatch: the log lines of one event-loop turn leave as one chunk, in order, bounded. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_CHUNK_CHARS, TurnBatch } from './turn-batch.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  test('the lines of one turn are handed on once, in order, after the turn', async () => {
    const chunks: string[] = [];
    const b = new TurnBatch((c) => chunks.push(c));
    for (let i = 0; i < 50; i++) b.write(`line ${i}\n`);
    assert.deepEqual(chunks, [], 'nothing leaves inside the turn');
    await nextTurn();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0], Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    b.write('later\n');
    await nextTurn();
    assert.deepEqual(chunks.slice(1), ['later\n'], 'the next turn makes its own chunk');
  });

  test('a full chunk leaves at once; no chunk is much larger than the bound', async () => {
    const chunks: string[] = [];
    const b = new TurnBatch((c) => chunks.push(c), 1000);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 25; i++) b.write(line);
    assert.equal(chunks.length, 2, 'two chunks of ten lines left while writing');
    await nextTurn();
    assert.equal(chunks.join(''), line.repeat(25));
    assert.ok(chunks.every((c) => c.length <= 1000 + line.length));
    assert.ok(MAX_CHUNK_CHARS >= 4096);
  });

  test('flush() hands on what is queued now, and the end-of-turn flush then has nothing to do', async () => {
    const chunks: string[] = [];
    const b = new TurnBatch((c) => chunks.push(c));
    b.write('a\n');
    b.write('b\n');
    b.flush();
    assert.deepEqual(chunks, ['a\nb\n']);
    await nextTurn();
    assert.deepEqual(chunks, ['a\nb\n']);
  });
});
