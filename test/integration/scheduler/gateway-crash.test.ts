/**
 * @module Integration: kill -9 the gateway while hundreds of submits are in flight over several
 * WebSocket clients; after a restart on the same HOME every acknowledged task is there and finishes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../../src/client/index.js';
import { isTerminal, type Task } from '../../../src/protocol/index.js';
import {
  getTask,
  listAll,
  startTestGateway,
  waitFor,
  type TestGateway,
} from '../../support/scheduler-harness.js';

const CLIENTS = 6;
const PER_CLIENT = 100;
const WINDOW = 20;
const KILL_AFTER_ACKS = 200;

describe('kill -9 the gateway under submit load', () => {
  let g: TestGateway | undefined;
  after(async () => g?.close());

  test('every acknowledged task is present after the restart and finishes', async (t) => {
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['echo'], concurrency: 16 } },
      tasks: { queue_timeout: 0 },
    });
    const gw = g.gw;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const c = new GatewayClient({
          url: gw.wsUrl,
          token: g!.token('operator'),
          role: 'operator',
          reconnect: { enabled: false },
          keepalive: { enabled: false },
        });
        await c.connect();
        return c;
      }),
    );
    const acked = new Set<string>();
    let rejected = 0;
    let killedAt = -1;
    const killed = new Promise<void>((resolve) => gw.child.once('exit', () => resolve()));

    // Each client keeps WINDOW submits in flight; the kill lands while about CLIENTS * WINDOW are pending.
    const load = clients.map(async (c, ci) => {
      let next = 0;
      const worker = async () => {
        while (next < PER_CLIENT) {
          const i = next++;
          try {
            const task = (await c.request('task.submit', {
              skill: 'echo',
              args: { message: `c${ci}-${i}` },
              idempotency_key: `crash-${ci}-${i}`,
            })) as Task;
            acked.add(task.id);
            if (acked.size === KILL_AFTER_ACKS && killedAt < 0) {
              killedAt = acked.size;
              gw.child.kill('SIGKILL');
            }
          } catch {
            rejected++;
            return; // the connection is gone; no point sending more on it
          }
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, worker));
    });
    await Promise.all(load);
    await killed;
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    assert.ok(killedAt > 0, 'the gateway was killed mid-load');
    assert.ok(rejected > 0, 'some submits were in flight when it died');
    assert.ok(acked.size < CLIENTS * PER_CLIENT, 'the kill came before the load finished');

    await g.restart();
    const c = await g.operator();
    const stored = await listAll(c);
    const storedIds = new Set(stored.map((x) => x.id));
    const present = [...acked].filter((id) => storedIds.has(id)).length;
    const finished = await waitFor(
      'every acknowledged task to finish',
      async () => {
        const all = await Promise.all([...acked].map((id) => getTask(c, id)));
        return all.every((x) => isTerminal(x.status)) ? all : null;
      },
      60_000,
      250,
    );
    const succeeded = finished.filter((x) => x.status === 'succeeded').length;
    const counts = {
      submitted_attempts: CLIENTS * PER_CLIENT,
      acked: acked.size,
      present,
      finished: succeeded,
      stored_total: stored.length,
      stored_but_unacked: stored.length - present,
      rejected_in_flight: rejected,
      rerun_after_restart: finished.filter((x) => x.attempt > 1).length,
    };
    t.diagnostic(`gateway crash counts: ${JSON.stringify(counts)}`);
    console.log('gateway crash counts', counts);
    assert.equal(present, acked.size, 'every acknowledged task is stored');
    assert.equal(succeeded, acked.size, 'every acknowledged task finishes');
    for (const x of finished) assert.match(JSON.stringify(x.result), /"message":"c\d-\d+"/);
    // Tasks that were running when the gateway died were re-queued on reconnect, not lost.
    assert.ok(finished.every((x) => x.attempt >= 1 && x.attempt <= 3));
  });
});
