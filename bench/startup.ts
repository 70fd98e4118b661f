/**
 * @module Benchmark: how long does a cold `openclaw gateway start --headless` take to its first 200 from
 * `/ready` (target p50 at most 400 ms), and what is its idle RSS (target at most 80 MB)? The floor is
 * `node -e` starting a bare http server, measured the same way in the same run, interleaved.
 *
 * Usage: npx tsx bench/startup.ts [--runs 10] [--idle 2000] [--cpu-prof DIR] [--alt-cli PATH]
 *   --alt-cli also starts another build (e.g. a snapshot with proposals applied, see
 *   snapshot-build.sh) in the same interleaved rounds.
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
const ALT_CLI = args.get('alt-cli');

const FLOOR_SCRIPT = "require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,'127.0.0.1')";

type Kind = 'gateway' | 'alt' | 'floor';
const LABELS: Record<Kind, string> = {
  floor: 'node -e http server (floor)',
  gateway: 'openclaw gateway start --headless',
  alt: 'same, ALT build',
};

interface Run {
  readyMs: number;
  rssMb: number;
}

/**
 * One cold start: a new HOME (no secret, no database), a free port, the clock started just before
 * spawn and stopped at the first 200. RSS is read after `IDLE_MS` of idling.
 */
async function once(kind: Kind, i: number): Promise<Run> {
  const home = tempDir(`start-${kind}`);
  const port = await freePort();
  const metricsPort = await freePort();
  const out = openSync(join(home, 'stdout'), 'a');
  const flags: string[] = [];
  if (PROF_DIR && kind !== 'floor') {
    mkdirSync(PROF_DIR, { recursive: true });
    flags.push(
      '--cpu-prof',
      '--cpu-prof-dir',
      PROF_DIR,
      '--cpu-prof-name',
      `startup-${kind}-${i}.cpuprofile`,
    );
  }
  const cli = kind === 'alt' ? ALT_CLI! : CLI;
  const cmdArgs = kind === 'floor' ? ['-e', FLOOR_SCRIPT] : [...flags, cli, 'gateway', 'start', '--headless'];
  const env =
    kind === 'floor'
      ? { ...process.env, PORT: String(port) }
      : gatewayEnv(home, { OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_METRICS_PORT: String(metricsPort) });
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
  if (kind !== 'floor' && code !== 0)
    throw new Error(`${LABELS[kind]} exited with ${code ?? signal} on SIGTERM`);
  removeDir(home);
  return { readyMs: t1 - t0, rssMb: rss / 2 ** 20 };
}

async function main(): Promise<void> {
  assertBuilt();
  if (ALT_CLI) assertBuilt(ALT_CLI);
  console.log(`startup: ${RUNS} cold starts each, interleaved; idle RSS read ${IDLE_MS} ms after ready`);
  console.log(`machine: ${machineLine()}`);
  const kinds: Kind[] = ALT_CLI ? ['gateway', 'alt', 'floor'] : ['gateway', 'floor'];
  const runs = new Map<Kind, Run[]>(kinds.map((k) => [k, []]));
  // One unmeasured start of each warms the page cache: "cold" here means a new process and a new
  // data dir, not an empty page cache (dropping caches would disturb everyone else on the machine).
  for (const k of kinds) await once(k, -1);
  for (let i = 0; i < RUNS; i++) {
    // Rotating the order spreads slow moments of the shared machine over every kind.
    for (let j = 0; j < kinds.length; j++) {
      const kind = kinds[(i + j) % kinds.length]!;
      const r = await once(kind, i);
      runs.get(kind)!.push(r);
      console.log(
        `  run ${i + 1} ${kind.padEnd(7)} ready ${fmt(r.readyMs, 0).padStart(5)} ms  RSS ${fmt(r.rssMb)} MB`,
      );
    }
  }
  const sums = new Map(
    kinds.map((k) => {
      const rs = runs.get(k)!;
      return [
        k,
        { ready: summarize(rs.map((r) => r.readyMs)), rss: summarize(rs.map((r) => r.rssMb)) },
      ] as const;
    }),
  );
  const f = sums.get('floor')!;
  console.log('');
  printTable([
    [
      'process',
      'ready p50 ms',
      'ready min ms',
      'ready max ms',
      'idle RSS p50 MB',
      'RSS max MB',
      'ready/floor',
      'RSS/floor',
    ],
    ...(['floor', ...kinds.filter((k) => k !== 'floor')] as Kind[]).map((k) => {
      const s = sums.get(k)!;
      return [
        LABELS[k],
        fmt(s.ready.p50, 0),
        fmt(s.ready.min, 0),
        fmt(s.ready.max, 0),
        fmt(s.rss.p50),
        fmt(s.rss.max),
        ratio(s.ready.p50, f.ready.p50),
        ratio(s.rss.p50, f.rss.p50),
      ];
    }),
  ]);
  for (const k of kinds.filter((x) => x !== 'floor')) {
    const s = sums.get(k)!;
    console.log(
      `${LABELS[k]}: target ready p50 at most ${TARGET_READY_MS} ms: ${fmt(s.ready.p50, 0)} ms ` +
        `${verdict(s.ready.p50 <= TARGET_READY_MS)}; target idle RSS at most ${TARGET_RSS_MB} MB: ` +
        `${fmt(s.rss.p50)} MB ${verdict(s.rss.p50 <= TARGET_RSS_MB)}`,
    );
  }
  if (ALT_CLI) console.log(`ALT build: ${ALT_CLI}`);
  if (PROF_DIR) console.log(`CPU profiles of the gateway starts: ${PROF_DIR}`);
  printResult('startup', { runs: RUNS, idle_ms: IDLE_MS, ...Object.fromEntries(sums) });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
