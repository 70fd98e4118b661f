/**
 * @module Benchmark: what the LLM coordinator adds to a call. The same loopback OpenAI server is called
 * 2,000 times directly with the official SDK and 2,000 times through `LlmCoordinator` (routing, limiter
 * with limits set, retries armed, usage accounting, metrics), interleaved so both see the same machine.
 * Run: `npx tsx bench/llm-overhead.ts [calls]`.
 */
import OpenAI from 'openai';
import { createMetrics } from '../src/observability/index.js';
import { LlmCoordinator } from '../src/llm/index.js';
import { sequence, startOpenAiVendor } from '../test/support/vendors/index.js';

const CALLS = Number(process.argv[2] ?? 2000);
const WARMUP = 200;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function main(): Promise<void> {
  const server = await startOpenAiVendor(
    sequence({ kind: 'reply', text: 'ok', usage: { prompt: 12, completion: 2 } }),
  );
  const key = 'sk-bench-0123456789abcdefghij';
  const baseURL = `${server.url}/v1`;
  const direct = new OpenAI({ apiKey: key, baseURL, maxRetries: 0, timeout: 10_000, logLevel: 'off' });
  const coordinator = new LlmCoordinator({
    providers: [
      {
        name: 'openai',
        type: 'openai',
        apiKeys: [key],
        baseUrl: baseURL,
        models: ['gpt-4o-mini'],
        // Limits high enough never to wait, so the figure is the bookkeeping, not queueing.
        requestsPerMinute: 1_000_000,
        tokensPerMinute: 1_000_000_000,
        maxConcurrent: 64,
        timeoutMs: 10_000,
        maxTokens: 256,
        maxQueue: 1000,
      },
    ],
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const messages = [
    { role: 'system' as const, content: 'You are a benchmark.' },
    { role: 'user' as const, content: 'Say ok.' },
  ];
  const viaSdk = () => direct.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 16 });
  const viaCoordinator = () =>
    coordinator.chat({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: 16,
      workspace: 'bench',
      task_id: 'bench',
    });

  for (let i = 0; i < WARMUP; i++) {
    await viaSdk();
    await viaCoordinator();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    // Alternate which goes first so neither always gets the warmer connection.
    const order =
      i % 2 === 0 ? ([viaSdk, a, viaCoordinator, b] as const) : ([viaCoordinator, b, viaSdk, a] as const);
    for (const [fn, out] of [
      [order[0], order[1]],
      [order[2], order[3]],
    ] as const) {
      const t0 = performance.now();
      await fn();
      out.push(performance.now() - t0);
    }
  }
  coordinator.close();
  await server.close();
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  const row = (name: string, s: number[]) =>
    `${name.padEnd(22)} p50 ${percentile(s, 50).toFixed(3)} ms   p99 ${percentile(s, 99).toFixed(3)} ms`;
  const p50 = percentile(b, 50) - percentile(a, 50);
  const p99 = percentile(b, 99) - percentile(a, 99);
  process.stdout.write(
    [
      `llm-overhead: ${CALLS} calls each to a loopback OpenAI server (node ${process.version})`,
      row('direct SDK', a),
      row('through coordinator', b),
      `overhead               p50 ${p50.toFixed(3)} ms   p99 ${p99.toFixed(3)} ms`,
      `ratio (coordinator / direct)  p50 ${(percentile(b, 50) / percentile(a, 50)).toFixed(3)}   p99 ${(percentile(b, 99) / percentile(a, 99)).toFixed(3)}`,
      '',
    ].join('\n'),
  );
}

await main();
