/**
 * @module The BullMQ side of the task-throughput benchmark: one Worker process, the counterpart of the
 * gateway's node, running an echo processor that also reports when it started.
 *
 * Usage (IPC child): node bullmq-worker.mjs <redis-port> <queue-name> <concurrency>
 * IPC: sends {type:'ready'} once the worker is connected; {type:'stop'} closes it and exits.
 */
import { Worker } from 'bullmq';

const [port, queueName, concurrency] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };

// The echo skill's counterpart: returns its data, plus `s`, the instant the processor was entered.
const worker = new Worker(queueName, async (job) => ({ ...job.data, s: Date.now() }), {
  connection,
  concurrency: Number(concurrency),
});
worker.on('error', (err) => console.error(`bullmq worker: ${err.message}`));
await worker.waitUntilReady();
process.send({ type: 'ready' });
process.on('message', async (m) => {
  if (m?.type === 'stop') {
    await worker.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
