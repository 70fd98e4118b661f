/** @module Unit tests: history compaction over a real SQLite store, with injected and failing summarisers. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MemoryCompactionConfigSchema, type MemoryCompactionConfig } from '../config/memory-schema.js';
import { createSqliteStores, openSqliteDatabase, type SqliteStores } from '../store/index.js';
import { Compactor } from './compactor.js';
import { PREVIOUS_SUMMARY_PREFIX, type Summarize } from './extractive-summary.js';
import type { HistoryMessage } from './history.js';
import { workspaceView } from './workspace-view.js';

let dir: string;
let stores: SqliteStores;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openclaw-compact-'));
  stores = createSqliteStores(openSqliteDatabase({ dataDir: dir, synchronous: 'normal' }));
});
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (o: Partial<MemoryCompactionConfig> = {}) => MemoryCompactionConfigSchema.parse(o);

async function say(role: 'user' | 'assistant', content: string, ws = 'w') {
  return (await stores.workspaces.append({ workspace: ws, kind: 'message', role, content })).entry;
}
/** An agent turn: assistant asks for a tool, the tool-call record, the tool result, the answer. */
async function toolTurn(id: string, ws = 'w') {
  const w = stores.workspaces;
  await w.append({
    workspace: ws,
    kind: 'message',
    role: 'assistant',
    content: '',
    tool_calls: [
      { id, type: 'function', function: { name: 'shell', arguments: `{"command":"echo ${id}"}` } },
    ],
  });
  await w.append({
    workspace: ws,
    kind: 'tool_call',
    content: `shell echo ${id}`,
    tool_call_id: id,
    tool: { name: 'shell', args: { command: `echo ${id}` }, result: id, error: null, duration_ms: 3 },
  });
  await w.append({ workspace: ws, kind: 'message', role: 'tool', content: id, tool_call_id: id });
}

/** Every tool result in `h` follows the assistant message that asked for it. */
function pairsWhole(h: readonly HistoryMessage[]): boolean {
  const asked = new Set<string>();
  for (const m of h) {
    for (const c of m.tool_calls ?? []) asked.add(c.id);
    if (m.role === 'tool' && !asked.has(m.tool_call_id!)) return false;
  }
  const answered = new Set(h.filter((m) => m.role === 'tool').map((m) => m.tool_call_id));
  return [...asked].every((id) => answered.has(id));
}

describe('Compactor', () => {
  test('summarises older turns past max_messages and keeps the newest keep_messages verbatim', async () => {
    for (let i = 0; i < 12; i++) await say(i % 2 ? 'assistant' : 'user', `message ${i}`);
    const c = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 10, keep_messages: 4 }),
    });
    const r = await c.maybeCompact('w');
    assert.ok(r);
    assert.equal(r.messages, 8);
    assert.equal(r.summariser, 'extractive');
    assert.match(r.summary.content, /User: message 0/);
    assert.doesNotMatch(r.summary.content, /message 8/);
    assert.deepEqual(await stores.workspaces.liveHistory('w'), { messages: 4, chars: 38 });
    const view = await workspaceView(stores.workspaces, 'w', { messages: 50 });
    assert.deepEqual(
      view.history.map((m) => m.content),
      ['message 8', 'message 9', 'message 10', 'message 11'],
    );
    assert.equal(view.summary?.id, r.summary.id);
    assert.match(view.context, /^Summary of the earlier conversation in this workspace:\n/);
    assert.equal(await c.maybeCompact('w'), null, 'under the bound now');
    assert.equal((await stores.workspaces.search('w', 'message 0')).hits[0]?.entry.compacted, true);
  });

  test('never splits a tool call from its result, on either side of the cut', async () => {
    await say('user', 'start');
    for (let i = 0; i < 6; i++) await toolTurn(`c${i}`);
    await say('assistant', 'done');
    // 14 messages; keep 4 would cut between an assistant call and its result.
    let seen: HistoryMessage[] = [];
    const summarize: Summarize = async (messages) => {
      seen = messages;
      return 'custom summary';
    };
    const c = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 10, keep_messages: 4 }),
      summarizer: () => summarize,
    });
    const r = await c.maybeCompact('w');
    assert.ok(r);
    assert.equal(r.summariser, 'custom');
    assert.equal(r.summary.content, 'custom summary');
    assert.ok(pairsWhole(seen), 'the summariser got whole pairs');
    const live = await stores.workspaces.entries('w', { kinds: ['message'], includeCompacted: false });
    const liveHistory = live.map((e) => ({
      role: e.role!,
      content: e.content,
      ...(e.tool_calls ? { tool_calls: e.tool_calls as HistoryMessage['tool_calls'] } : {}),
      ...(e.tool_call_id ? { tool_call_id: e.tool_call_id } : {}),
    }));
    assert.ok(pairsWhole(liveHistory), 'the kept history has whole pairs');
    assert.equal(seen.length + live.length, 14);
    assert.equal(seen.length % 2, 1);
    // The tool-call records of summarised turns are folded with them.
    const liveCalls = await stores.workspaces.entries('w', { kinds: ['tool_call'], includeCompacted: false });
    const liveIds = new Set(live.flatMap((e) => (e.tool_calls ?? []).map((x) => (x as { id: string }).id)));
    assert.deepEqual(new Set(liveCalls.map((e) => e.tool_call_id)), liveIds);
  });

  test('a second compaction hands the previous summary to the summariser first', async () => {
    const calls: Array<{ first: string | null; prev: string | null }> = [];
    const summarize: Summarize = async (messages, ctx) => {
      calls.push({ first: messages[0]!.content, prev: ctx.previousSummary });
      return `summary ${calls.length}`;
    };
    const c = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 4, keep_messages: 2 }),
      summarizer: () => summarize,
    });
    for (let i = 0; i < 5; i++) await say('user', `a${i}`);
    await c.maybeCompact('w');
    for (let i = 0; i < 4; i++) await say('user', `b${i}`);
    await c.maybeCompact('w');
    assert.deepEqual(calls, [
      { first: 'a0', prev: null },
      { first: `${PREVIOUS_SUMMARY_PREFIX}summary 1`, prev: 'summary 1' },
    ]);
    assert.equal((await stores.workspaces.latestSummary('w'))?.content, 'summary 2');
    assert.equal(
      (await stores.workspaces.entries('w', { kinds: ['summary'], includeCompacted: false })).length,
      1,
    );
  });

  test('falls back to the extractive summary when the summariser throws or hangs', async () => {
    const warnings: string[] = [];
    const logger = {
      info: () => undefined,
      warn: (o: object) => warnings.push((o as { event: string }).event),
    };
    for (let i = 0; i < 6; i++) await say('user', `x${i}`);
    const failing = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 4, keep_messages: 2 }),
      summarizer: () => async () => {
        throw new Error('LLM down');
      },
      logger,
    });
    assert.equal((await failing.maybeCompact('w'))?.summariser, 'extractive');
    for (let i = 0; i < 6; i++) await say('user', `y${i}`);
    const hanging = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 4, keep_messages: 2 }),
      summarizer: () => () => new Promise<string>(() => undefined),
      summarizeTimeoutMs: 100,
      logger,
    });
    const t0 = Date.now();
    const r = await hanging.maybeCompact('w');
    assert.equal(r?.summariser, 'extractive');
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(warnings, ['memory_summarize_failed', 'memory_summarize_failed']);
  });

  test('compacts a few very long messages by the character bound', async () => {
    for (let i = 0; i < 5; i++) await say('user', `${i}`.repeat(1000));
    const c = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 100, max_chars: 3000, keep_messages: 4 }),
    });
    const r = await c.maybeCompact('w');
    assert.equal(r?.messages, 4);
    assert.equal((await stores.workspaces.liveHistory('w')).messages, 1);
  });

  test('coalesces concurrent triggers into one compaction per need', async () => {
    let n = 0;
    const c = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 10, keep_messages: 4 }),
      summarizer: () => async () => {
        n++;
        await new Promise((r) => setTimeout(r, 50));
        return `s${n}`;
      },
    });
    for (let i = 0; i < 11; i++) await say('user', `m${i}`);
    await Promise.all(Array.from({ length: 20 }, () => c.maybeCompact('w')));
    await c.idle();
    assert.equal(n, 1);
    assert.equal((await stores.workspaces.liveHistory('w')).messages, 4);
  });

  test('does nothing with max_messages 0, and deletes folded turns with retain_compacted false', async () => {
    for (let i = 0; i < 8; i++) await say('user', `z${i}`);
    const off = new Compactor({ store: stores.workspaces, config: cfg({ max_messages: 0 }) });
    assert.equal(off.enabled, false);
    assert.equal(await off.maybeCompact('w'), null);
    const del = new Compactor({
      store: stores.workspaces,
      config: cfg({ max_messages: 4, keep_messages: 2, retain_compacted: false }),
    });
    assert.equal((await del.maybeCompact('w'))?.messages, 6);
    assert.deepEqual(
      (await stores.workspaces.entries('w')).map((e) => e.kind),
      ['message', 'message', 'summary'],
    );
    assert.equal((await stores.workspaces.search('w', 'z0', { kinds: ['message'] })).hits.length, 0);
  });
});
