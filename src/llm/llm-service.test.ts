/**
 * @module The `llm` service inside a gateway context: `llm.chat` through the real RPC router, env
 * defaults, streaming to the delta hook, the not-configured answer, and no key in errors or logs.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigSchema, type ResolvedConfig } from '../config/index.js';
import { RpcRouter, type CallContext, type GatewayContext, type GatewayService } from '../gateway/index.js';
import { createMemoryLogger, createMetrics } from '../observability/index.js';
import { GatewayError, toGatewayError, type Role } from '../protocol/index.js';
import { sequence, startOpenAiVendor, type VendorServer } from '../../test/support/vendors/index.js';
import { createLlmService, type LlmServiceOptions } from './llm-service.js';
import type { LlmCoordinator } from './llm-coordinator.js';

const servers: VendorServer[] = [];
const services: GatewayService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function vendor(...args: Parameters<typeof sequence>): Promise<VendorServer> {
  const s = await startOpenAiVendor(sequence(...args));
  servers.push(s);
  return s;
}

async function start(llm: unknown, options: LlmServiceOptions = {}) {
  const config = {
    ...ConfigSchema.parse({ llm }),
    data_dir: '/nonexistent',
    log_dir: '/nonexistent',
    config_path: null,
  } as ResolvedConfig;
  const router = new RpcRouter();
  const mem = createMemoryLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  let coordinator: LlmCoordinator | undefined;
  const ctx = {
    config,
    server: { router },
    logger: mem.logger,
    metrics,
    gatewayId: 'gw-test',
  } as unknown as GatewayContext;
  const svc = await createLlmService({ env: {}, onReady: (c) => (coordinator = c), ...options })(ctx);
  assert.ok(svc);
  services.push(svc);
  const call = (params: unknown, role: Role = 'node') =>
    router.dispatch('llm.chat', params, {
      role,
      principal: 'test',
      session: {} as CallContext['session'],
      connectionId: 'c1',
      remoteAddress: '127.0.0.1',
      ...(role === 'node' ? { nodeId: 'node-1' } : {}),
    } as CallContext);
  /** What a client would receive for a failed call: the error frame exactly as the connection sends it. */
  const errorFrame = async (params: unknown) => {
    try {
      await call(params);
    } catch (err) {
      return JSON.stringify({ type: 'res', id: '1', ok: false, error: toGatewayError(err).toBody() });
    }
    throw new Error('the call succeeded');
  };
  return { router, svc, call, errorFrame, logs: mem.records, metrics, coordinator: () => coordinator! };
}

const hello = { messages: [{ role: 'user', content: 'hello' }] };

describe('createLlmService', () => {
  test('answers llm.chat with an OpenAI chat completion plus provider', async () => {
    const v = await vendor({ kind: 'reply', text: 'hi node', usage: { prompt: 5, completion: 2 } });
    const g = await start({
      providers: { openai: { api_key: 'sk-cfg-0123456789abcdefgh', base_url: `${v.url}/v1` } },
    });
    const out = (await g.call({ ...hello, model: 'gpt-4o-mini', workspace: 'w1', task_id: 't1' })) as any;
    assert.equal(out.object, 'chat.completion');
    assert.equal(out.provider, 'openai');
    assert.equal(out.choices[0].message.content, 'hi node');
    assert.deepEqual(out.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    assert.equal(g.coordinator().usage.task('t1')?.total_tokens, 7);
    assert.equal(v.requests[0]!.body.workspace, undefined, 'accounting fields stay in the gateway');
    assert.ok(g.logs.some((r) => r.event === 'llm_providers' && r.component === 'llm'));
  });

  test('takes OPENAI_API_KEY and OPENAI_BASE_URL from the environment when nothing is configured', async () => {
    const v = await vendor({ kind: 'reply', text: 'from env' });
    const g = await start(
      {},
      { env: { OPENAI_API_KEY: 'sk-env-0123456789abcdefgh', OPENAI_BASE_URL: `${v.url}/v1` } },
    );
    const out = (await g.call(hello, 'operator')) as any;
    assert.equal(out.choices[0].message.content, 'from env');
    assert.equal(v.requests[0]!.headers.authorization, 'Bearer sk-env-0123456789abcdefgh');
  });

  test('without a provider, answers GW_ERR_LLM_NOT_CONFIGURED naming the variables to set', async () => {
    const g = await start({});
    const frame = JSON.parse(await g.errorFrame(hello));
    assert.equal(frame.error.code, 'GW_ERR_LLM_NOT_CONFIGURED');
    assert.equal(frame.error.retryable, false);
    for (const v of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OLLAMA_HOST'])
      assert.match(frame.error.message, new RegExp(v));
    assert.ok(g.logs.some((r) => r.event === 'llm_not_configured' && r.level === 'warn'));
  });

  test('streams deltas to the hook under the task id, in order', async () => {
    const chunks = ['Daily ', 'report ', 'done.'];
    const v = await vendor({ kind: 'stream', chunks, chunkDelayMs: 3 });
    const deltas: Array<[string, string]> = [];
    const g = await start(
      { providers: { openai: { api_key: 'sk-cfg-0123456789abcdefgh', base_url: `${v.url}/v1` } } },
      { onDelta: (taskId, text) => deltas.push([taskId, text]) },
    );
    const out = (await g.call({ ...hello, stream: true, task_id: 'task-9' })) as any;
    assert.deepEqual(
      deltas,
      chunks.map((c) => ['task-9', c]),
    );
    assert.equal(out.choices[0].message.content, chunks.join(''));
    assert.equal(v.requests[0]!.body.stream, true);
  });

  test('never shows a provider key to the caller or in the logs, even when the vendor echoes it', async () => {
    const key = 'acme-secret-0123456789abcdef';
    const v = await vendor({ kind: 'error', status: 401, message: `Incorrect API key provided: ${key}` });
    const g = await start({
      providers: {
        acme: { type: 'openai-compatible', api_key: key, base_url: `${v.url}/v1`, models: ['m'] },
      },
    });
    const frame = await g.errorFrame({ ...hello, model: 'm' });
    assert.equal(JSON.parse(frame).error.code, 'GW_ERR_LLM_PROVIDER_REJECTED');
    assert.ok(!frame.includes(key), frame);
    assert.match(frame, /Incorrect API key provided: \[REDACTED\]/);
    const logs = JSON.stringify(g.logs);
    assert.ok(logs.includes('llm_attempt_failed'));
    assert.ok(!logs.includes(key));
  });

  test('validates params through the protocol schema', async () => {
    const g = await start({});
    await assert.rejects(
      g.call({ messages: [] }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_PROTOCOL_INVALID_PARAMS',
    );
    await assert.rejects(
      g.call({ ...hello, tools: [{ type: 'function', function: { name: 'bad name!' } }] }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_PROTOCOL_INVALID_PARAMS',
    );
  });

  test('refuses a provider config that cannot work at start-up', async () => {
    await assert.rejects(
      start({ providers: { anthropic: {} } }),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_CONFIG_INVALID' &&
        /ANTHROPIC_API_KEY/.test(e.message),
    );
  });

  test('after stop, calls are refused as draining', async () => {
    const v = await vendor({ kind: 'reply', text: 'x' });
    const g = await start({
      providers: { openai: { api_key: 'sk-cfg-0123456789abcdefgh', base_url: `${v.url}/v1` } },
    });
    await g.svc.drain?.(Date.now() + 100);
    await g.svc.stop();
    await assert.rejects(
      g.call(hello),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_GATEWAY_DRAINING',
    );
  });
});
