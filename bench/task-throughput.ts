/**
 * @module Benchmark: how many `echo` tasks per second does the gateway carry from submit to complete on
 * one node at concurrency 64, with every submit acknowledged only once it is durable, next to the same
 * flow in BullMQ on a local redis-server (target: at least 1.0x BullMQ's throughput), and how long from
 * submit to start (target: p50 at most 5 ms)?
 *
 * Flow, identical for both systems: WINDOW producer lanes each submit a task and wait for its
 * completion event before submitting the next (closed loop, so at most WINDOW tasks are in the system
 * and submit-to-start measures dispatch rather than backlog); `--mode burst` instead submits everything
 * with WINDOW submits in flight and waits for the completions at the end.
 *
 * Usage: npx tsx bench/task-throughput.ts [--count 5000] [--window 64] [--concurrency 64] [--rounds 1]
 *        [--warmup 300] [--mode closed|burst] [--systems gateway,bullmq,bullmq-aof] [--cpu-prof DIR]
 *        [--synchronous full|normal] [--log-level LEVEL] [--probe 300] [--alt-cli PATH]
 *        [--node local|external]
 *   --probe: after the loaded run, that many tasks one at a time (an idle system), for the unloaded
 *   submit-to-start latency. --node external: the one node is a separate `openclaw node register`
 *   process instead of the gateway's built-in local node (its CPU is counted as server CPU).
 *   --alt-cli adds the system `gateway-alt`: the same flow against another build (e.g. a snapshot with
 *   a proposal applied, see snapshot-build.sh), measured in the same run.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { CLI, createToken, gatewayEnv, startGateway, type BenchGateway } from './lib/gateway.js';
import { freePort } from './lib/net.js';
import {
  cleanup,
  cpuMs,
  nextMessage,
  onCleanup,
  sleep,
  spawnHelper,
  spawnTracked,
  stopChild,
  tempDir,
} from './lib/processes.js';
import {
  fmt,
  intArg,
  machineLine,
  median,
  parseArgs,
  printResult,
  printTable,
  ratio,
  summarize,
  verdict,
  type Summary,
} from './lib/stats.js';

const TARGET_RATIO = 1.0;
const TARGET_START_P50_MS = 5;

const args = parseArgs(process.argv.slice(2));
const COUNT = intArg(args, 'count', 5000);
const WINDOW = intArg(args, 'window', 64);
const CONCURRENCY = intArg(args, 'concurrency', 64);
const ROUNDS = intArg(args, 'rounds', 1);
const WARMUP = intArg(args, 'warmup', 300);
const MODE = args.get('mode') ?? 'closed';
const ALT_CLI = args.get('alt-cli');
const SYSTEMS = (args.get('systems') ?? `gateway,${ALT_CLI ? 'gateway-alt,' : ''}bullmq,bullmq-aof`).split(
  ',',
);
const PROF_DIR = args.get('cpu-prof');
/** `store.synchronous` of the gateway: `full` (default, fsync per commit) or `normal` (for diagnosis). */
const SYNCHRONOUS = args.get('synchronous') ?? 'full';
if (SYNCHRONOUS !== 'full' && SYNCHRONOUS !== 'normal')
  throw new Error('--synchronous must be full or normal');
/** Gateway `logging.level`; default the gateway's own (info). */
const LOG_LEVEL = args.get('log-level');
const PROBE = intArg(args, 'probe', 300);
/** `local`: the gateway's built-in node; `external`: a separate `openclaw node register` process. */
const NODE_MODE = args.get('node') ?? 'local';
if (NODE_MODE !== 'local' && NODE_MODE !== 'external') throw new Error('--node must be local or external');
if (MODE !== 'closed' && MODE !== 'burst') throw new Error('--mode must be closed or burst');
for (const s of SYSTEMS)
  if (!['gateway', 'gateway-alt', 'bullmq', 'bullmq-aof'].includes(s)) throw new Error(`unknown system ${s}`);
if (SYSTEMS.includes('gateway-alt') && !ALT_CLI) throw new Error('gateway-alt needs --alt-cli PATH');

/** What is known about one task; every instant is epoch ms on this machine's clock. */
interface Rec {
  submit?: number;
  ack?: number;
  /** The queue handed the task to a worker: gateway `started_at`, BullMQ `processedOn`. */
  claim?: number;
  /** The worker began running it: the node's `task.started` report, BullMQ's processor entry. */
  start?: number;
  done?: number;
  error?: string;
}

/** One system under test, seen from the producer. */
interface Driver {
  submit(i: number): Promise<string>;
  /** Resolves once the task's completion event has arrived. */
  done(id: string): Promise<void>;
  /** Fills in start instants that are only known after the run. */
  finish(ids: string[]): Promise<void>;
  records: Map<string, Rec>;
  /** CPU ms used so far by the server side (gateway; redis + worker). */
  serverCpuMs(): number;
  close(): Promise<void>;
}

interface SystemResult {
  name: string;
  n: number;
  elapsedMs: number;
  tasksPerSec: number;
  toStart: Summary;
  toClaim: Summary;
  toAck: Summary;
  toComplete: Summary;
  serverCpuMsPerTask: number;
  clientCpuMsPerTask: number;
  errors: number;
  /** Submit-to-start with one task at a time (nothing else in the system). */
  idleToStart: Summary;
}

/** Completion bookkeeping shared by both drivers: records by id, and waiters for their end. */
class Completions {
  readonly records = new Map<string, Rec>();
  private readonly waiters = new Map<string, () => void>();

  rec(id: string): Rec {
    let r = this.records.get(id);
    if (!r) this.records.set(id, (r = {}));
    return r;
  }

  /** The completion event may overtake the submit acknowledgement, so either order is fine. */
  ended(id: string, fields: Partial<Rec>): void {
    Object.assign(this.rec(id), { done: Date.now(), ...fields });
    this.waiters.get(id)?.();
    this.waiters.delete(id);
  }

  wait(id: string): Promise<void> {
    if (this.rec(id).done !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }
}

interface TaskLike {
  id: string;
  status: string;
  started_at: string | null;
  result: unknown;
  error: { code: string; message: string } | null;
}

async function gatewayDriver(cli?: string): Promise<Driver & { gw: BenchGateway }> {
  const home = tempDir('tput');
  const token = await createToken(home, 'operator', cli);
  const nodeFlags: string[] = [];
  if (PROF_DIR) {
    mkdirSync(PROF_DIR, { recursive: true });
    nodeFlags.push('--cpu-prof', '--cpu-prof-dir', PROF_DIR);
  }
  // One node: the built-in local node, or a separate node process. With the default synchronous: full
  // an acknowledged submit has been fsynced; `normal` survives a process crash but not a power cut.
  const localNode = NODE_MODE === 'local' ? `    concurrency: ${CONCURRENCY}\n` : '    enabled: false\n';
  const gw = await startGateway({
    home,
    configYaml: `gateway:\n  local_node:\n${localNode}` + `store:\n  synchronous: ${SYNCHRONOUS}\n`,
    nodeFlags,
    ...(cli ? { cli } : {}),
    ...(LOG_LEVEL ? { env: { OPENCLAW_LOG_LEVEL: LOG_LEVEL } } : {}),
  });
  onCleanup(() => gw.stop().then(() => undefined));
  const { GatewayClient } = await import('../src/client/index.js');
  const client = new GatewayClient({
    url: gw.wsUrl,
    token,
    role: 'operator',
    client: { name: 'openclaw-bench', version: '1' },
    reconnect: { enabled: false },
    requestTimeoutMs: 120_000,
  });
  await client.connect();
  let nodeProc: ChildProcess | undefined;
  if (NODE_MODE === 'external') {
    const nodeToken = await createToken(home, 'node', cli);
    const out = openSync(join(home, 'node.stdout'), 'a');
    const node = spawnTracked(
      process.execPath,
      [
        ...[cli ?? CLI, 'node', 'register', '--gateway', gw.wsUrl, '--node-id', 'bench-node'],
        ...['--capabilities', 'echo', '--concurrency', String(CONCURRENCY), '--auth-token', nodeToken],
        ...['--workspace-dir', join(home, 'node-workspaces')],
      ],
      {
        cwd: home,
        env: gatewayEnv(home, LOG_LEVEL ? { OPENCLAW_LOG_LEVEL: LOG_LEVEL } : {}),
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    nodeProc = node;
    onCleanup(() => stopChild(node).then(() => undefined));
    for (let i = 0; i < 200; i++) {
      const l = (await client.request('node.list')) as { nodes: unknown[] };
      if (l.nodes.length > 0) break;
      await sleep(50);
    }
  }
  const nodes = (await client.request('node.list')) as { nodes: Array<{ id: string; concurrency: number }> };
  if (nodes.nodes.length !== 1 || nodes.nodes[0]!.concurrency !== CONCURRENCY) {
    throw new Error(`expected one node at concurrency ${CONCURRENCY}, got ${JSON.stringify(nodes.nodes)}`);
  }
  const c = new Completions();
  client.onEvent('task.updated', (payload) => {
    const t = payload as TaskLike;
    if (t.status === 'succeeded') {
      const ok = (t.result as { message?: string } | null)?.message !== undefined;
      c.ended(t.id, {
        claim: t.started_at ? Date.parse(t.started_at) : Number.NaN,
        ...(ok ? {} : { error: `unexpected result ${JSON.stringify(t.result)}` }),
      });
    } else if (['failed', 'cancelled', 'timed_out'].includes(t.status)) {
      c.ended(t.id, { error: `${t.status}: ${t.error?.code} ${t.error?.message}` });
    }
  });
  await client.request('task.subscribe', {});
  return {
    gw,
    records: c.records,
    async submit(i) {
      const submit = Date.now();
      const task = (await client.request('task.submit', {
        skill: 'echo',
        args: { message: `m${i}` },
      })) as TaskLike;
      Object.assign(c.rec(task.id), { submit, ack: Date.now() });
      return task.id;
    },
    done: (id) => c.wait(id),
    async finish(ids) {
      // The node's `task.started` report is logged by the gateway with its time: that is when the
      // node began running the skill (ISO ms, gateway clock, same machine).
      let next = 0;
      const lane = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const res = (await client.request('task.logs', { id })) as {
            logs: Array<{ ts: string; message: string }>;
          };
          const started = res.logs.find((l) => l.message.startsWith('started on'));
          c.rec(id).start = started ? Date.parse(started.ts) : Number.NaN;
        }
      };
      await Promise.all(Array.from({ length: 16 }, lane));
    },
    serverCpuMs: () => cpuMs(gw.pid) + (nodeProc ? cpuMs(nodeProc.pid!) : 0),
    async close() {
      await client.close();
      if (nodeProc) await stopChild(nodeProc);
      await gw.stop();
    },
  };
}

async function startRedis(durable: boolean): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const dir = tempDir('redis');
  const port = await freePort();
  // Defaults are redis-server's own (RDB snapshots, no AOF); the durable variant fsyncs every write
  // before replying, which is what "acknowledged = persisted" means for the gateway.
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [];
  const child = spawnTracked(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', ...persistence],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  const stop = () => stopChild(child, 'SIGTERM').then(() => undefined);
  onCleanup(stop);
  return { port, pid: child.pid!, stop };
}

async function bullmqDriver(durable: boolean): Promise<Driver> {
  const redis = await startRedis(durable);
  const name = 'bench-echo';
  const worker = spawnHelper('bullmq-worker.mjs', [String(redis.port), name, String(CONCURRENCY)]);
  onCleanup(() => stopChild(worker).then(() => undefined));
  await nextMessage<{ type: string }>(worker, (m) => m.type === 'ready');
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  // From the start of the (fresh) stream: with the default '$' the events of jobs added before the
  // first XREAD is issued are never seen.
  const events = new QueueEvents(name, { connection, lastEventId: '0-0' });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const c = new Completions();
  events.on('completed', ({ jobId, returnvalue }) => {
    const rv = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as {
      message?: string;
      s: number;
    };
    // No claim instant: BullMQ's processedOn is stamped when the worker asked for a job, which can
    // be before this job even existed, so it does not mark a hand-over.
    c.ended(jobId, {
      start: rv.s,
      ...(rv.message !== undefined ? {} : { error: `unexpected result ${JSON.stringify(rv)}` }),
    });
  });
  events.on('failed', ({ jobId, failedReason }) => c.ended(jobId, { error: failedReason }));
  return {
    records: c.records,
    async submit(i) {
      const submit = Date.now();
      const job = await queue.add('echo', { message: `m${i}` });
      Object.assign(c.rec(job.id!), { submit, ack: Date.now() });
      return job.id!;
    },
    done: (id) => c.wait(id),
    finish: async () => undefined,
    serverCpuMs: () => cpuMs(redis.pid) + cpuMs(worker.pid!),
    async close() {
      await events.close();
      await queue.close();
      worker.send({ type: 'stop' });
      await stopChild(worker, 'SIGTERM', 5000);
      await redis.stop();
    },
  };
}

/** Without a completion for this long the run is declared stuck (a lost event, a dead worker). */
const STALL_MS = 30_000;

/** Runs `count` tasks through `d`; returns the ids in acknowledgement order and the wall time. */
async function drive(
  d: Driver,
  count: number,
  window = WINDOW,
  mode = MODE,
): Promise<{ ids: string[]; elapsedMs: number }> {
  const ids: string[] = [];
  let next = 0;
  let completed = 0;
  let lastProgress = Date.now();
  const t0 = Date.now();
  const finished = (id: string) =>
    d.done(id).then(() => {
      completed++;
      lastProgress = Date.now();
    });
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const id = await d.submit(i);
      ids.push(id);
      if (mode === 'closed') await finished(id);
    }
  };
  let watchdog: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watchdog = setInterval(() => {
      if (Date.now() - lastProgress > STALL_MS)
        reject(new Error(`stalled: ${completed} of ${count} completed, ${ids.length} acknowledged`));
    }, 1000);
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: window }, lane)), stalled]);
    if (mode === 'burst') await Promise.race([Promise.all(ids.map(finished)), stalled]);
  } finally {
    clearInterval(watchdog);
  }
  return { ids, elapsedMs: Date.now() - t0 };
}

async function measure(name: string, make: () => Promise<Driver>): Promise<SystemResult> {
  const d = await make();
  try {
    await drive(d, WARMUP);
    const cpu0 = d.serverCpuMs();
    const client0 = process.cpuUsage();
    const { ids, elapsedMs } = await drive(d, COUNT);
    const serverCpu = d.serverCpuMs() - cpu0;
    const clientUsage = process.cpuUsage(client0);
    await d.finish(ids);
    const probe = await drive(d, PROBE, 1, 'closed');
    await d.finish(probe.ids);
    const recs = ids.map((id) => d.records.get(id)!);
    const probeRecs = probe.ids.map((id) => d.records.get(id)!);
    const errors = [...recs, ...probeRecs].filter((r) => r.error);
    if (errors.length)
      console.log(`${name}: ${errors.length} tasks did not succeed, e.g. ${errors[0]!.error}`);
    const lat = (f: (r: Rec) => number, of = recs) => summarize(of.map(f).filter(Number.isFinite));
    return {
      name,
      n: ids.length,
      elapsedMs,
      tasksPerSec: (ids.length / elapsedMs) * 1000,
      toStart: lat((r) => r.start! - r.submit!),
      toClaim: lat((r) => r.claim! - r.submit!),
      toAck: lat((r) => r.ack! - r.submit!),
      toComplete: lat((r) => r.done! - r.submit!),
      serverCpuMsPerTask: serverCpu / ids.length,
      clientCpuMsPerTask: (clientUsage.user + clientUsage.system) / 1000 / ids.length,
      errors: errors.length,
      idleToStart: lat((r) => r.start! - r.submit!, probeRecs),
    };
  } finally {
    await d.close();
  }
}

const LABELS: Record<string, string> = {
  gateway: `gateway (${NODE_MODE} node, synchronous=${SYNCHRONOUS})`,
  'gateway-alt': `gateway ALT build (${NODE_MODE} node, synchronous=${SYNCHRONOUS})`,
  bullmq: 'bullmq (redis defaults: RDB, no AOF)',
  'bullmq-aof': 'bullmq (redis AOF appendfsync always)',
};

async function main(): Promise<void> {
  console.log(
    `task-throughput: ${COUNT} echo tasks per system per round, ${WINDOW} producer lanes (${MODE} loop), ` +
      `worker concurrency ${CONCURRENCY}, ${ROUNDS} round(s), warm-up ${WARMUP}`,
  );
  console.log(`machine: ${machineLine()}`);
  const all = new Map<string, SystemResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    // Rotating the order spreads slow phases of the shared machine over all systems.
    const order = SYSTEMS.map((_, k) => SYSTEMS[(round + k) % SYSTEMS.length]!);
    for (const sys of order) {
      const label = LABELS[sys]!;
      const r = await measure(label, () =>
        sys === 'gateway'
          ? gatewayDriver()
          : sys === 'gateway-alt'
            ? gatewayDriver(ALT_CLI)
            : bullmqDriver(sys === 'bullmq-aof'),
      );
      console.log(
        `  round ${round + 1} ${label}: ${fmt(r.tasksPerSec, 0)} tasks/s, submit-to-start p50 ${fmt(r.toStart.p50)} ms`,
      );
      all.set(label, [...(all.get(label) ?? []), r]);
    }
  }
  // Each system's figures come from its median round by throughput.
  const picked = [...all].map(([, rs]) => {
    const m = median(rs.map((r) => r.tasksPerSec));
    return rs.find((r) => r.tasksPerSec === m) ?? rs[0]!;
  });
  console.log('');
  printTable([
    [
      'system',
      'tasks/s',
      'start p50',
      'start p99',
      'claim p50',
      'claim p99',
      'ack p50',
      'ack p99',
      'done p50',
      'done p99',
      'idle start p50',
      'idle start p99',
      'srv CPU ms/task',
      'cli CPU ms/task',
    ],
    ...picked.map((r) => [
      r.name,
      fmt(r.tasksPerSec, 0),
      fmt(r.toStart.p50),
      fmt(r.toStart.p99),
      fmt(r.toClaim.p50),
      fmt(r.toClaim.p99),
      fmt(r.toAck.p50),
      fmt(r.toAck.p99),
      fmt(r.toComplete.p50),
      fmt(r.toComplete.p99),
      fmt(r.idleToStart.p50),
      fmt(r.idleToStart.p99),
      fmt(r.serverCpuMsPerTask, 3),
      fmt(r.clientCpuMsPerTask, 3),
    ]),
  ]);
  console.log(
    'latencies in ms from submit: start = worker/node began running it, claim = queue handed it out,',
  );
  console.log('ack = submit acknowledged, done = completion event received by the producer;');
  console.log(`idle start = submit-to-start of ${PROBE} tasks run one at a time after the loaded run`);
  const bulls = picked.filter((r) => r.name.startsWith('bullmq'));
  for (const gw of picked.filter((r) => r.name.startsWith('gateway'))) {
    for (const b of bulls) {
      const x = gw.tasksPerSec / b.tasksPerSec;
      console.log(
        `${gw.name.split(' (')[0]} / ${b.name}: throughput ${ratio(gw.tasksPerSec, b.tasksPerSec)} ` +
          `(target >= ${TARGET_RATIO.toFixed(1)}x: ${verdict(x >= TARGET_RATIO)}), ` +
          `start p50 ${ratio(gw.toStart.p50, b.toStart.p50)}, p99 ${ratio(gw.toStart.p99, b.toStart.p99)}`,
      );
    }
    console.log(
      `target ${gw.name} submit-to-start p50 at most ${TARGET_START_P50_MS} ms: ` +
        `under load ${fmt(gw.toStart.p50)} ms ${verdict(gw.toStart.p50 <= TARGET_START_P50_MS)}, ` +
        `idle ${fmt(gw.idleToStart.p50)} ms ${verdict(gw.idleToStart.p50 <= TARGET_START_P50_MS)}`,
    );
  }
  if (ALT_CLI) console.log(`ALT build: ${ALT_CLI}`);
  if (PROF_DIR) console.log(`gateway CPU profiles: ${PROF_DIR}`);
  printResult('task-throughput', {
    count: COUNT,
    window: WINDOW,
    concurrency: CONCURRENCY,
    mode: MODE,
    rounds: Object.fromEntries(all),
  });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
