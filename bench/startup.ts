/**
 * @module Benchmark: how long does a cold `openclaw gateway start --headless` take to its first 200 from
 * `/ready` (target p50 at most 400 ms), and what is its idle RSS (target at most 80 MB)? The floor is
 * `node -e` starting a bare http server, measured the same way in the same run, interleaved.
 *
 * Usage: npx tsx bench/startup.ts [--runs 10] [--idle 2000] [--cpu-prof DIR]
 */
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, assertBuilt, gatewayEnv } from './lib/gateway.js';
import { freePort, waitFor200 } from './lib/net.js';
import { cleanup, removeDir, rssBytes, sleep, spawnTracked, stopChild, tempDir } from './lib/processes.js';
import {
  fmt,
  intArg,
  machineLine,
  parseArgs,
  printResult,
  printTable,
  ratio,
  summarize,
  verdict,
} from './lib/stats.js';

const TARGET_READY_MS = 400;
const TARGET_RSS_MB = 80;

const args = parseArgs(process.argv.slice(2));
const RUNS = intArg(args, 'runs', 10);
const IDLE_MS = intArg(args, 'idle', 2000);
const PROF_DIR = args.get('cpu-prof');

const FLOOR_SCRIPT = "require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,'127.0.0.1')";

interface Run {
  readyMs: number;
  rssMb: number;
}

/**
 * One cold start: a new HOME (no secret, no database), a free port, the clock started just before
 * spawn and stopped at the first 200. RSS is read after `IDLE_MS` of idling.
 */
async function once(kind: 'gateway' | 'floor', i: number): Promise<Run> {
  const home = tempDir(`start-${kind}`);
  const port = await freePort();
  const metricsPort = await freePort();
  const out = openSync(join(home, 'stdout'), 'a');
  const flags: string[] = [];
  if (PROF_DIR && kind === 'gateway') {
    mkdirSync(PROF_DIR, { recursive: true });
    flags.push('--cpu-prof', '--cpu-prof-dir', PROF_DIR, '--cpu-prof-name', `startup-${i}.cpuprofile`);
  }
  const cmdArgs =
    kind === 'gateway' ? [...flags, CLI, 'gateway', 'start', '--headless'] : ['-e', FLOOR_SCRIPT];
  const env =
    kind === 'gateway'
      ? gatewayEnv(home, { OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_METRICS_PORT: String(metricsPort) })
      : { ...process.env, PORT: String(port) };
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, cmdArgs, { cwd: home, env, stdio: ['ignore', out, out] });
  closeSync(out);
  const t1 = await waitFor200(`http://127.0.0.1:${port}/ready`, {
    intervalMs: 2,
    alive: () => child.exitCode === null && child.signalCode === null,
  });
  await sleep(IDLE_MS);
  const rss = rssBytes(child.pid!);
  const { code, signal } = await stopChild(child, 'SIGTERM');
  if (kind === 'gateway' && code !== 0) throw new Error(`gateway exited with ${code ?? signal} on SIGTERM`);
  removeDir(home);
  return { readyMs: t1 - t0, rssMb: rss / 2 ** 20 };
}

async function main(): Promise<void> {
  assertBuilt();
  console.log(`startup: ${RUNS} cold starts each, interleaved; idle RSS read ${IDLE_MS} ms after ready`);
  console.log(`machine: ${machineLine()}`);
  const runs: Record<'gateway' | 'floor', Run[]> = { gateway: [], floor: [] };
  // One unmeasured start of each warms the page cache: "cold" here means a new process and a new
  // data dir, not an empty page cache (dropping caches would disturb everyone else on the machine).
  await once('floor', -1);
  await once('gateway', -1);
  for (let i = 0; i < RUNS; i++) {
    for (const kind of i % 2 === 0 ? (['gateway', 'floor'] as const) : (['floor', 'gateway'] as const)) {
      const r = await once(kind, i);
      runs[kind].push(r);
      console.log(
        `  run ${i + 1} ${kind.padEnd(7)} ready ${fmt(r.readyMs, 0).padStart(5)} ms  RSS ${fmt(r.rssMb)} MB`,
      );
    }
  }
  const g = {
    ready: summarize(runs.gateway.map((r) => r.readyMs)),
    rss: summarize(runs.gateway.map((r) => r.rssMb)),
  };
  const f = {
    ready: summarize(runs.floor.map((r) => r.readyMs)),
    rss: summarize(runs.floor.map((r) => r.rssMb)),
  };
  console.log('');
  printTable([
    ['process', 'ready p50 ms', 'ready min ms', 'ready max ms', 'idle RSS p50 MB', 'RSS max MB'],
    [
      'node -e http server (floor)',
      fmt(f.ready.p50, 0),
      fmt(f.ready.min, 0),
      fmt(f.ready.max, 0),
      fmt(f.rss.p50),
      fmt(f.rss.max),
    ],
    [
      'openclaw gateway start --headless',
      fmt(g.ready.p50, 0),
      fmt(g.ready.min, 0),
      fmt(g.ready.max, 0),
      fmt(g.rss.p50),
      fmt(g.rss.max),
    ],
  ]);
  console.log(
    `\ngateway/floor: ready ${ratio(g.ready.p50, f.ready.p50)}, idle RSS ${ratio(g.rss.p50, f.rss.p50)}`,
  );
  console.log(
    `target ready p50 at most ${TARGET_READY_MS} ms: ${fmt(g.ready.p50, 0)} ms ${verdict(g.ready.p50 <= TARGET_READY_MS)}`,
  );
  console.log(
    `target idle RSS at most ${TARGET_RSS_MB} MB: ${fmt(g.rss.p50)} MB ${verdict(g.rss.p50 <= TARGET_RSS_MB)}`,
  );
  if (PROF_DIR) console.log(`CPU profiles of the gateway starts: ${PROF_DIR}`);
  printResult('startup', { runs: RUNS, idle_ms: IDLE_MS, gateway: g, floor: f });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
