/**
 * @module Benchmark: what does one idle authenticated connection cost the gateway in RSS (target at most
 * 16 KB), and how many handshakes per second does it take, next to a bare `ws` server holding the same
 * number of idle sockets in the same run?
 *
 * Usage: npx tsx bench/connections.ts [--count 10000] [--clients 4] [--window 64] [--settle 3000]
 *        [--cpu-prof DIR]
 */
import { mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createToken, startGateway } from './lib/gateway.js';
import { scrapeMetrics } from './lib/net.js';
import {
  cleanup,
  nextMessage,
  onCleanup,
  rssBytes,
  sleep,
  spawnHelper,
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
  verdict,
} from './lib/stats.js';

const TARGET_BYTES_PER_CONN = 16 * 1024;

const args = parseArgs(process.argv.slice(2));
const COUNT = intArg(args, 'count', 10_000);
const CLIENTS = intArg(args, 'clients', 4);
const WINDOW = intArg(args, 'window', 64);
const SETTLE_MS = intArg(args, 'settle', 3000);
const WARMUP = intArg(args, 'warmup', 200);
const PROF_DIR = args.get('cpu-prof');

interface Opened {
  type: 'opened';
  opened: number;
  failed: number;
  firstError?: string;
  t0: number;
  t1: number;
}

interface PhaseResult {
  name: string;
  opened: number;
  failed: number;
  alive: number;
  handshakesPerSec: number;
  rssBefore: number;
  rssAfter: number;
  bytesPerConn: number;
  heapPerConn: number;
  firstError?: string;
}

/** RSS sampled a few times across a second; the median ignores a sample taken mid-GC. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid));
    await sleep(250);
  }
  return median(samples);
}

async function startClients(): Promise<ChildProcess[]> {
  const clients: ChildProcess[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = spawnHelper('idle-clients.mjs', []);
    onCleanup(() => stopChild(c, 'SIGKILL').then(() => undefined));
    clients.push(c);
  }
  await Promise.all(clients.map((c) => nextMessage<{ type: string }>(c, (m) => m.type === 'ready')));
  return clients;
}

/** Opens `count` connections spread over the clients, each client from its own 127.0.0.x address. */
async function openAll(
  clients: ChildProcess[],
  url: string,
  token: string | null,
  count: number,
): Promise<Opened[]> {
  const per = Math.ceil(count / clients.length);
  const waits = clients.map((c, i) => {
    const n = Math.max(0, Math.min(per, count - i * per));
    const done = nextMessage<Opened>(c, (m) => m.type === 'opened', 300_000);
    // Source addresses spread the 4-tuples, so 10,000 sockets never run short of ephemeral ports.
    c.send({ type: 'open', url, token, count: n, window: WINDOW, localAddress: `127.0.0.${2 + i}` });
    return done;
  });
  return Promise.all(waits);
}

async function closeClients(clients: ChildProcess[]): Promise<void> {
  for (const c of clients) if (c.connected) c.send({ type: 'close' });
  await Promise.all(clients.map((c) => stopChild(c, 'SIGKILL', 5000)));
}

async function countAlive(clients: ChildProcess[]): Promise<number> {
  const res = await Promise.all(
    clients.map((c) => {
      const r = nextMessage<{ type: string; open: number }>(c, (m) => m.type === 'alive');
      c.send({ type: 'check' });
      return r;
    }),
  );
  return res.reduce((a, r) => a + r.open, 0);
}

function summarizeOpen(
  name: string,
  res: Opened[],
): Omit<PhaseResult, 'rssBefore' | 'rssAfter' | 'bytesPerConn' | 'heapPerConn' | 'alive'> {
  const opened = res.reduce((a, r) => a + r.opened, 0);
  const failed = res.reduce((a, r) => a + r.failed, 0);
  const span = Math.max(...res.map((r) => r.t1)) - Math.min(...res.map((r) => r.t0));
  const firstError = res.find((r) => r.firstError)?.firstError;
  return {
    name,
    opened,
    failed,
    handshakesPerSec: (opened / span) * 1000,
    ...(firstError ? { firstError } : {}),
  };
}

async function gatewayPhase(): Promise<PhaseResult> {
  const home = tempDir('conn');
  const token = await createToken(home, 'operator');
  if (PROF_DIR) mkdirSync(PROF_DIR, { recursive: true });
  const gw = await startGateway({
    home,
    ...(PROF_DIR ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] } : {}),
  });
  onCleanup(() => gw.stop().then(() => undefined));
  const heap = async () => {
    if (!gw.metricsUrl) return Number.NaN;
    const m = await scrapeMetrics(gw.metricsUrl);
    return m.get('nodejs_heap_size_used_bytes') ?? Number.NaN;
  };
  // Warm-up: the first handshakes compile schemas and JIT the hot path; that is not per-connection cost.
  const warm = await startClients();
  await openAll(warm, gw.wsUrl, token, WARMUP);
  await closeClients(warm);
  const clients = await startClients();
  await sleep(SETTLE_MS);
  const rssBefore = await settledRss(gw.pid);
  const heapBefore = await heap();
  const res = summarizeOpen('gateway (authenticated)', await openAll(clients, gw.wsUrl, token, COUNT));
  await sleep(SETTLE_MS);
  const rssAfter = await settledRss(gw.pid);
  const heapAfter = await heap();
  const alive = await countAlive(clients);
  await closeClients(clients);
  await gw.stop();
  return {
    ...res,
    alive,
    rssBefore,
    rssAfter,
    bytesPerConn: (rssAfter - rssBefore) / res.opened,
    heapPerConn: (heapAfter - heapBefore) / res.opened,
  };
}

async function barePhase(): Promise<PhaseResult> {
  const server = spawnHelper('bare-ws-server.mjs', ['0']);
  onCleanup(() => stopChild(server).then(() => undefined));
  const { port } = await nextMessage<{ type: string; port: number }>(server, (m) => m.type === 'listening');
  const url = `ws://127.0.0.1:${port}/`;
  const heap = async () => {
    const r = nextMessage<{ type: string; heapUsed: number }>(server, (m) => m.type === 'memory');
    server.send({ type: 'memory' });
    return (await r).heapUsed;
  };
  const warm = await startClients();
  await openAll(warm, url, null, WARMUP);
  await closeClients(warm);
  const clients = await startClients();
  await sleep(SETTLE_MS);
  const rssBefore = await settledRss(server.pid!);
  const heapBefore = await heap();
  const res = summarizeOpen('bare ws (floor)', await openAll(clients, url, null, COUNT));
  await sleep(SETTLE_MS);
  const rssAfter = await settledRss(server.pid!);
  const heapAfter = await heap();
  const alive = await countAlive(clients);
  await closeClients(clients);
  await stopChild(server);
  return {
    ...res,
    alive,
    rssBefore,
    rssAfter,
    bytesPerConn: (rssAfter - rssBefore) / res.opened,
    heapPerConn: (heapAfter - heapBefore) / res.opened,
  };
}

async function main(): Promise<void> {
  console.log(
    `connections: ${COUNT} idle connections from ${CLIENTS} client processes, ${WINDOW} handshakes in flight each`,
  );
  console.log(`machine: ${machineLine()}`);
  const bare = await barePhase();
  const gw = await gatewayPhase();
  const mb = (b: number) => fmt(b / 2 ** 20, 1);
  const rows = [
    [
      'server',
      'opened',
      'failed',
      'alive',
      'RSS before MB',
      'RSS after MB',
      'RSS/conn KB',
      'heap/conn KB',
      'handshakes/s',
    ],
  ];
  for (const p of [bare, gw]) {
    rows.push([
      p.name,
      String(p.opened),
      String(p.failed),
      String(p.alive),
      mb(p.rssBefore),
      mb(p.rssAfter),
      fmt(p.bytesPerConn / 1024, 2),
      fmt(p.heapPerConn / 1024, 2),
      fmt(p.handshakesPerSec, 0),
    ]);
  }
  console.log('');
  printTable(rows);
  for (const p of [bare, gw]) if (p.firstError) console.log(`${p.name}: first error: ${p.firstError}`);
  console.log(
    `\ngateway/bare: RSS per connection ${ratio(gw.bytesPerConn, bare.bytesPerConn)}, ` +
      `handshakes/s ${ratio(gw.handshakesPerSec, bare.handshakesPerSec)}`,
  );
  const ok = gw.opened === COUNT && gw.alive === COUNT && gw.bytesPerConn <= TARGET_BYTES_PER_CONN;
  console.log(
    `target at most ${TARGET_BYTES_PER_CONN / 1024} KB per connection (all ${COUNT} open and alive): ` +
      `${fmt(gw.bytesPerConn / 1024, 2)} KB ${verdict(ok)}`,
  );
  printResult('connections', { count: COUNT, clients: CLIENTS, window: WINDOW, bare, gateway: gw });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
