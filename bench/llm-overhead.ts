/**
 * @module Benchmark: what the gateway adds to an LLM call. `llm.chat` from a node through a real gateway
 * process vs the official `openai` SDK calling the same loopback OpenAI server directly, same run,
 * interleaved blocks: is the overhead at most 2 ms at p50 and 5 ms at p99?
 *
 * The gateway gets its provider the way an operator would give it one: `OPENAI_API_KEY` and
 * `OPENAI_BASE_URL` in its environment and no `llm:` config, so no request, token or concurrency limit
 * applies (all default to 0 = unlimited) and nothing waits in the limiter queue. The direct SDK call
 * sends the very body the gateway sent to the vendor (captured during warm-up, checked at the end), with
 * the client settings of the gateway's adapter (no SDK retries, same timeout). An informational third
 * target calls an in-process `LlmCoordinator` with the same settings: the coordinator alone, no socket.
 *
 * Usage: npx tsx bench/llm-overhead.ts [--calls 2000] [--block 100] [--warmup 200] [--no-coordinator]
 *        [--cpu-prof DIR]
 */
import { mkdirSync } from 'node:fs';
import OpenAI from 'openai';
import { GatewayClient } from '../src/client/index.js';
import { LlmCoordinator, type ChatCompletion } from '../src/llm/index.js';
import { createMetrics } from '../src/observability/index.js';
import { sequence, startOpenAiVendor } from '../test/support/vendors/index.js';
import { createToken, startGateway } from './lib/gateway.js';
import { cleanup, cpuMs, onCleanup, tempDir } from './lib/processes.js';
import {
  fmt,
  intArg,
  machineLine,
  median,
  parseArgs,
  printResult,
  printTable,
  summarize,
  verdict,
} from './lib/stats.js';

const TARGET_P50_MS = 2;
const TARGET_P99_MS = 5;

const args = parseArgs(process.argv.slice(2));
const CALLS = intArg(args, 'calls', 2000);
const BLOCK = Math.min(CALLS, intArg(args, 'block', 100));
const WARMUP = intArg(args, 'warmup', 200);
const WITH_COORDINATOR = !args.has('no-coordinator');
const PROF_DIR = args.get('cpu-prof');

const KEY = 'sk-bench-0123456789abcdefghij';
const PARAMS = { messages: [{ role: 'user' as const, content: 'hi' }] };

interface Target {
  name: string;
  call: () => Promise<void>;
  samples: number[];
  /** Gateway CPU time spent while this target ran, ms (gateway target only). */
  gatewayCpuMs: number;
}

function checkCompletion(c: unknown, via: string): void {
  const text = (c as ChatCompletion | undefined)?.choices?.[0]?.message?.content;
  if (text !== 'ok') throw new Error(`unexpected ${via} answer: ${JSON.stringify(c).slice(0, 300)}`);
}

async function main(): Promise<void> {
  console.log(
    `llm-overhead: ${CALLS} sequential chat calls per target, blocks of ${BLOCK}, warm-up ${WARMUP}`,
  );
  console.log(`machine: ${machineLine()}`);
  const vendor = await startOpenAiVendor(
    sequence({ kind: 'reply', text: 'ok', usage: { prompt: 12, completion: 2 } }),
  );
  onCleanup(() => vendor.close());
  const baseURL = `${vendor.url}/v1`;

  const home = tempDir('llm');
  const token = await createToken(home, 'node');
  if (PROF_DIR) mkdirSync(PROF_DIR, { recursive: true });
  const gw = await startGateway({
    home,
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: baseURL },
    ...(PROF_DIR ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] } : {}),
  });
  onCleanup(() => gw.stop().then(() => undefined));
  const client = new GatewayClient({
    url: gw.wsUrl,
    token,
    role: 'node',
    node: { id: 'bench-node', capabilities: [] },
    reconnect: { enabled: false },
  });
  await client.connect();
  onCleanup(() => client.close());

  // The body the gateway sends to the vendor is what the direct call must send, byte for byte.
  const first = await client.request('llm.chat', PARAMS);
  checkCompletion(first, 'gateway');
  const gatewayBody = vendor.requests.at(-1)?.body as OpenAI.ChatCompletionCreateParamsNonStreaming;
  if (!gatewayBody?.model) throw new Error('the gateway call did not reach the vendor');

  const sdk = new OpenAI({ apiKey: KEY, baseURL, maxRetries: 0, timeout: 120_000, logLevel: 'off' });
  const targets: Target[] = [
    {
      name: 'direct SDK (floor)',
      call: async () => checkCompletion(await sdk.chat.completions.create(gatewayBody), 'SDK'),
      samples: [],
      gatewayCpuMs: 0,
    },
    {
      name: 'gateway llm.chat (node)',
      call: async () => checkCompletion(await client.request('llm.chat', PARAMS), 'gateway'),
      samples: [],
      gatewayCpuMs: 0,
    },
  ];
  if (WITH_COORDINATOR) {
    // The gateway's defaults for an env-configured provider: no limits, 120 s timeout, queue 1000.
    const coordinator = new LlmCoordinator({
      providers: [
        {
          name: 'openai',
          type: 'openai',
          apiKeys: [KEY],
          baseUrl: baseURL,
          models: [],
          requestsPerMinute: 0,
          tokensPerMinute: 0,
          maxConcurrent: 0,
          timeoutMs: 120_000,
          maxTokens: 4096,
          maxQueue: 1000,
        },
      ],
      metrics: createMetrics({ defaultMetrics: false }),
    });
    onCleanup(() => coordinator.close());
    targets.push({
      name: 'in-process coordinator',
      call: async () => checkCompletion(await coordinator.chat({ ...PARAMS }), 'coordinator'),
      samples: [],
      gatewayCpuMs: 0,
    });
  }

  for (let i = 0; i < WARMUP; i++) for (const t of targets) await t.call();

  // Interleaved blocks with a rotating order: a load burst from other work on the machine lands on
  // every target alike instead of on whichever happened to run during it.
  const vendorBefore = vendor.requests.length;
  const blockOverhead: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
  for (let done = 0, round = 0; done < CALLS; round++) {
    const n = Math.min(BLOCK, CALLS - done);
    const perBlock: number[][] = targets.map(() => []);
    for (let k = 0; k < targets.length; k++) {
      const idx = (round + k) % targets.length;
      const t = targets[idx]!;
      const cpu0 = cpuMs(gw.pid);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await t.call();
        perBlock[idx]!.push(performance.now() - t0);
      }
      if (idx === 1) t.gatewayCpuMs += cpuMs(gw.pid) - cpu0;
    }
    perBlock.forEach((s, idx) => targets[idx]!.samples.push(...s));
    const d = summarize(perBlock[0]!);
    const g = summarize(perBlock[1]!);
    blockOverhead.p50.push(g.p50 - d.p50);
    blockOverhead.p99.push(g.p99 - d.p99);
    done += n;
  }

  // Every measured call reached the vendor exactly once (no retries, no cache), with one body.
  const measured = vendor.requests.slice(vendorBefore);
  if (measured.length !== CALLS * targets.length) {
    throw new Error(`vendor saw ${measured.length} requests, expected ${CALLS * targets.length}`);
  }
  const bodyJson = JSON.stringify(gatewayBody);
  const odd = measured.find((r) => JSON.stringify(r.body) !== bodyJson);
  if (odd) throw new Error(`bodies differ: ${JSON.stringify(odd.body)} vs ${bodyJson}`);

  const sums = targets.map((t) => ({ t, s: summarize(t.samples) }));
  const floor = sums[0]!.s;
  const gwSum = sums[1]!.s;
  const rows = [
    [
      'target',
      'n',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'mean ms',
      '+p50 ms',
      '+p99 ms',
      'p50 x',
      'p99 x',
    ],
  ];
  for (const { t, s } of sums) {
    rows.push([
      t.name,
      String(s.n),
      fmt(s.p50, 3),
      fmt(s.p90, 3),
      fmt(s.p99, 3),
      fmt(s.max, 1),
      fmt(s.mean, 3),
      fmt(s.p50 - floor.p50, 3),
      fmt(s.p99 - floor.p99, 3),
      fmt(s.p50 / floor.p50, 2),
      fmt(s.p99 / floor.p99, 2),
    ]);
  }
  console.log(`\nvendor body (both paths): ${bodyJson}`);
  printTable(rows);
  const over50 = gwSum.p50 - floor.p50;
  const over99 = gwSum.p99 - floor.p99;
  const cpuPerCall = targets[1]!.gatewayCpuMs / CALLS;
  console.log(
    `\ngateway CPU per llm.chat: ${fmt(cpuPerCall, 3)} ms; per-block overhead (median of ` +
      `${blockOverhead.p50.length} blocks): p50 ${fmt(median(blockOverhead.p50), 3)} ms, ` +
      `p99 ${fmt(median(blockOverhead.p99), 3)} ms`,
  );
  console.log(
    `target overhead p50 at most ${TARGET_P50_MS} ms: ${fmt(over50, 3)} ms ${verdict(over50 <= TARGET_P50_MS)}`,
  );
  console.log(
    `target overhead p99 at most ${TARGET_P99_MS} ms: ${fmt(over99, 3)} ms ${verdict(over99 <= TARGET_P99_MS)}`,
  );
  printResult('llm-overhead', {
    calls: CALLS,
    block: BLOCK,
    targets: Object.fromEntries(sums.map(({ t, s }) => [t.name, s])),
    overhead_p50_ms: over50,
    overhead_p99_ms: over99,
    ratio_p50: gwSum.p50 / floor.p50,
    ratio_p99: gwSum.p99 / floor.p99,
    block_overhead_p50_ms: median(blockOverhead.p50),
    block_overhead_p99_ms: median(blockOverhead.p99),
    gateway_cpu_ms_per_call: cpuPerCall,
    met: { p50: over50 <= TARGET_P50_MS, p99: over99 <= TARGET_P99_MS },
  });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
