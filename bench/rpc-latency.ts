/**
 * @module Benchmark: is a sequential `health` round trip through a real gateway process within 1.3x of
 * a bare `ws` server answering frames of the same size (p50 and p99), measured in the same run?
 *
 * Usage: npx tsx bench/rpc-latency.ts [--count 10000] [--block 500] [--warmup 1000] [--no-client]
 *        [--cpu-prof DIR] [--alt-cli PATH]
 *   --alt-cli adds a second gateway from another build (e.g. a snapshot with a proposal applied, see
 *   snapshot-build.sh) as one more target in the same interleaved blocks.
 */
import { mkdirSync } from 'node:fs';
import type { WebSocket, RawData } from 'ws';
import { createToken, startGateway } from './lib/gateway.js';
import { closeRaw, openRaw } from './lib/raw-client.js';
import { cleanup, nextMessage, onCleanup, spawnHelper, stopChild, tempDir } from './lib/processes.js';
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

const TARGET_RATIO = 1.3;

const args = parseArgs(process.argv.slice(2));
const COUNT = intArg(args, 'count', 10_000);
const BLOCK = Math.min(COUNT, intArg(args, 'block', 500));
const WARMUP = intArg(args, 'warmup', 1000);
const WITH_CLIENT = !args.has('no-client');
const PROF_DIR = args.get('cpu-prof');
const ALT_CLI = args.get('alt-cli');

const requestFrame = (i: number): string => `{"type":"req","id":"r${i}","method":"health"}`;

/**
 * `count` strictly sequential round trips on `ws`; returns each one in microseconds. The clock runs
 * from just before `send` to the entry of the message callback; checking the reply happens after.
 */
function roundTrips(
  ws: WebSocket,
  count: number,
  offset: number,
  check: (text: string, i: number) => void,
): Promise<Float64Array> {
  const out = new Float64Array(count);
  return new Promise((resolve, reject) => {
    let i = 0;
    let t0 = 0;
    const send = () => {
      const frame = requestFrame(offset + i);
      t0 = performance.now();
      ws.send(frame);
    };
    const onMessage = (data: RawData) => {
      const t = performance.now();
      try {
        check(String(data), offset + i);
      } catch (err) {
        ws.off('message', onMessage);
        reject(err as Error);
        return;
      }
      out[i++] = (t - t0) * 1000;
      if (i === count) {
        ws.off('message', onMessage);
        resolve(out);
      } else send();
    };
    ws.on('message', onMessage);
    send();
  });
}

function checkGateway(text: string, i: number): void {
  const res = JSON.parse(text) as { type?: string; id?: string; ok?: boolean; payload?: { status?: string } };
  if (res.type !== 'res' || res.id !== `r${i}` || res.ok !== true || res.payload?.status !== 'ok') {
    throw new Error(`unexpected gateway reply to r${i}: ${text.slice(0, 200)}`);
  }
}

function checkBare(text: string): void {
  const res = JSON.parse(text) as { type?: string };
  if (res.type !== 'res') throw new Error(`unexpected bare reply: ${text.slice(0, 200)}`);
}

async function main(): Promise<void> {
  console.log(`rpc-latency: ${COUNT} sequential health round trips per target, blocks of ${BLOCK}`);
  console.log(`machine: ${machineLine()}`);
  const home = tempDir('rpc');
  const token = await createToken(home, 'operator');
  if (PROF_DIR) mkdirSync(PROF_DIR, { recursive: true });
  const gw = await startGateway({
    home,
    ...(PROF_DIR ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] } : {}),
  });
  onCleanup(() => gw.stop().then(() => undefined));

  const gwWs = await openRaw(gw.wsUrl, token);
  onCleanup(() => closeRaw(gwWs));
  // The bare server answers with frames exactly as long as the gateway's health reply.
  const probe = await new Promise<string>((resolve) => {
    gwWs.once('message', (d) => resolve(String(d)));
    gwWs.send(requestFrame(0));
  });
  const replyBytes = Buffer.byteLength(probe);
  const bare = spawnHelper('bare-ws-server.mjs', [String(replyBytes)]);
  onCleanup(() => stopChild(bare).then(() => undefined));
  const { port } = await nextMessage<{ type: string; port: number }>(bare, (m) => m.type === 'listening');
  const bareWs = await openRaw(`ws://127.0.0.1:${port}/`, undefined);
  onCleanup(() => closeRaw(bareWs));

  type Target = {
    name: string;
    run: (n: number, offset: number) => Promise<Float64Array>;
    samples: number[];
  };
  const targets: Target[] = [
    { name: 'bare ws (floor)', run: (n, o) => roundTrips(bareWs, n, o, checkBare), samples: [] },
    { name: 'gateway health', run: (n, o) => roundTrips(gwWs, n, o, checkGateway), samples: [] },
  ];
  if (ALT_CLI) {
    const altHome = tempDir('rpc-alt');
    const altToken = await createToken(altHome, 'operator', ALT_CLI);
    const alt = await startGateway({ home: altHome, cli: ALT_CLI });
    onCleanup(() => alt.stop().then(() => undefined));
    const altWs = await openRaw(alt.wsUrl, altToken);
    onCleanup(() => closeRaw(altWs));
    targets.push({
      name: 'ALT build gateway health',
      run: (n, o) => roundTrips(altWs, n, o, checkGateway),
      samples: [],
    });
  }
  if (WITH_CLIENT) {
    // Informational: the same call through the project's GatewayClient (zod-validated frames, promises).
    const { GatewayClient } = await import('../src/client/index.js');
    const client = new GatewayClient({
      url: gw.wsUrl,
      token,
      role: 'operator',
      reconnect: { enabled: false },
    });
    await client.connect();
    onCleanup(() => client.close());
    targets.push({
      name: 'gateway via GatewayClient',
      run: async (n) => {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await client.request('health');
          out[i] = (performance.now() - t0) * 1000;
        }
        return out;
      },
      samples: [],
    });
  }

  for (const t of targets) await t.run(WARMUP, 1);
  // Interleaved blocks, rotating which target goes first, so a burst of load from other work on the
  // machine lands on every target alike instead of on whichever ran during it.
  const blockRatios: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
  let offset = 10;
  for (let done = 0, round = 0; done < COUNT; round++) {
    const n = Math.min(BLOCK, COUNT - done);
    const perBlock = new Map<string, Summary>();
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(round + k) % targets.length]!;
      const s = await t.run(n, offset);
      offset += n;
      for (const v of s) t.samples.push(v);
      perBlock.set(t.name, summarize(s));
    }
    const g = perBlock.get('gateway health')!;
    const b = perBlock.get('bare ws (floor)')!;
    blockRatios.p50.push(g.p50 / b.p50);
    blockRatios.p99.push(g.p99 / b.p99);
    done += n;
  }

  const sums = targets.map((t) => ({ name: t.name, s: summarize(t.samples) }));
  const floor = sums[0]!.s;
  const rows = [['target', 'n', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'mean µs', 'p50 ratio', 'p99 ratio']];
  for (const { name, s } of sums) {
    rows.push([
      name,
      String(s.n),
      fmt(s.p50),
      fmt(s.p90),
      fmt(s.p99),
      fmt(s.max, 0),
      fmt(s.mean),
      ratio(s.p50, floor.p50),
      ratio(s.p99, floor.p99),
    ]);
  }
  console.log(
    `\nframes: request ${Buffer.byteLength(requestFrame(12345))} B, reply ${replyBytes} B (both targets)`,
  );
  printTable(rows);
  const alt = sums.find((x) => x.name === 'ALT build gateway health');
  if (alt) {
    const a50 = alt.s.p50 / floor.p50;
    const a99 = alt.s.p99 / floor.p99;
    console.log(
      `ALT build: p50 ${fmt(a50, 2)}x ${verdict(a50 <= TARGET_RATIO)}, p99 ${fmt(a99, 2)}x ` +
        `${verdict(a99 <= TARGET_RATIO)} (${ALT_CLI})`,
    );
  }
  const gwSum = sums[1]!.s;
  const r50 = gwSum.p50 / floor.p50;
  const r99 = gwSum.p99 / floor.p99;
  console.log(
    `\nper-block ratio gateway/bare (median of ${blockRatios.p50.length} blocks): ` +
      `p50 ${fmt(median(blockRatios.p50), 2)}x, p99 ${fmt(median(blockRatios.p99), 2)}x`,
  );
  console.log(
    `target p50 within ${TARGET_RATIO}x of the floor: ${fmt(r50, 2)}x ${verdict(r50 <= TARGET_RATIO)}`,
  );
  console.log(
    `target p99 within ${TARGET_RATIO}x of the floor: ${fmt(r99, 2)}x ${verdict(r99 <= TARGET_RATIO)}`,
  );
  printResult('rpc-latency', {
    count: COUNT,
    reply_bytes: replyBytes,
    targets: Object.fromEntries(sums.map(({ name, s }) => [name, s])),
    ratio_p50: r50,
    ratio_p99: r99,
    block_ratio_p50: median(blockRatios.p50),
    block_ratio_p99: median(blockRatios.p99),
  });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
