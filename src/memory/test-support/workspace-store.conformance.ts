/** @module The WorkspaceStore contract as tests, written once and run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../protocol/index.js';
import type { NewMemoryEntry, WorkspaceStore } from '../../store/index.js';

export type MakeWorkspaceStore = () => Promise<{ store: WorkspaceStore; cleanup(): Promise<void> }>;

const note = (workspace: string, content: string, extra: Partial<NewMemoryEntry> = {}): NewMemoryEntry => ({
  workspace,
  kind: 'note',
  content,
  ...extra,
});
const msg = (workspace: string, role: 'user' | 'assistant' | 'system', content: string): NewMemoryEntry => ({
  workspace,
  kind: 'message',
  role,
  content,
});
const isCode = (code: string) => (err: unknown) => err instanceof GatewayError && err.code === code;

export function runWorkspaceStoreConformance(name: string, make: MakeWorkspaceStore): void {
  const withStore = (fn: (s: WorkspaceStore) => Promise<void>) => async () => {
    const { store, cleanup } = await make();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  describe(`WorkspaceStore conformance: ${name}`, () => {
    test(
      'creates a workspace on its first entry and keeps per-kind counts and update times',
      withStore(async (s) => {
        assert.equal(await s.get('w1'), null);
        await s.append(note('w1', 'first', { created_at: '2030-01-01T00:00:00.000Z' }));
        await s.append(msg('w1', 'user', 'hello'));
        await s.append({ ...note('w1', 'the sky is blue'), kind: 'fact' });
        await s.append(note('w2', 'other', { created_at: '2031-01-01T00:00:00.000Z' }));
        const w1 = (await s.get('w1'))!;
        assert.equal(w1.created_at, '2030-01-01T00:00:00.000Z');
        assert.deepEqual(w1.counts, { note: 1, fact: 1, message: 1, tool_call: 0, summary: 0 });
        assert.equal(w1.entries, 3);
        assert.deepEqual(
          (await s.list()).map((w) => w.id),
          ['w2', 'w1'],
        );
        assert.deepEqual(await s.totals(), { workspaces: 2, entries: 4 });
      }),
    );

    test(
      'rejects a workspace id that is not a valid name',
      withStore(async (s) => {
        for (const bad of ['', '../etc', '-x', 'a b', 'x'.repeat(129)])
          await assert.rejects(s.append(note(bad, 'x')), isCode('GW_ERR_WORKSPACE_INVALID'), bad);
      }),
    );

    test(
      'stores an entry once per id: a retried append returns it, a repeated import skips it',
      withStore(async (s) => {
        const a = await s.append(note('w', 'once', { id: 'fixed-1' }));
        const b = await s.append(note('w', 'changed text', { id: 'fixed-1' }));
        assert.equal(a.created, true);
        assert.equal(b.created, false);
        assert.deepEqual(b.entry, a.entry);
        const batch = [
          note('w', 'x', { id: 'fixed-1' }),
          note('w', 'y', { id: 'fixed-2' }),
          note('v', 'z', { id: 'fixed-1' }),
        ];
        assert.deepEqual(await s.appendMany(batch), { inserted: 2, skipped: 1 });
        assert.deepEqual(await s.appendMany(batch), { inserted: 0, skipped: 3 });
        assert.equal((await s.get('w'))!.entries, 2);
      }),
    );

    test(
      'keeps tool calls, tool-call messages and metadata field for field',
      withStore(async (s) => {
        const calls = [
          { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"command":"echo hi"}' } },
        ];
        const { entry: a } = await s.append({
          ...msg('w', 'assistant', ''),
          tool_calls: calls,
          metadata: { step: 1, usage: { prompt_tokens: 3 } },
          task_id: 't-1',
          node_id: 'n-1',
        });
        const { entry: t } = await s.append({
          workspace: 'w',
          kind: 'tool_call',
          content: 'shell → hi',
          tool_call_id: 'c1',
          tool: {
            name: 'shell',
            args: { command: 'echo hi' },
            result: { stdout: 'hi\n', exit_code: 0 },
            error: null,
            duration_ms: 12,
          },
        });
        const { entry: f } = await s.append({
          workspace: 'w',
          kind: 'tool_call',
          content: 'shell failed',
          tool: {
            name: 'shell',
            args: {},
            result: null,
            error: { code: 'GW_ERR_SKILL_FAILED', message: 'boom', retryable: false },
            duration_ms: null,
          },
        });
        const got = await s.entries('w');
        assert.deepEqual(got, [a, t, f]);
        assert.deepEqual(a.tool_calls, calls);
        assert.equal(a.role, 'assistant');
        assert.deepEqual(a.metadata, { step: 1, usage: { prompt_tokens: 3 } });
        assert.equal(a.node_id, 'n-1');
        assert.deepEqual(t.tool, {
          name: 'shell',
          args: { command: 'echo hi' },
          result: { stdout: 'hi\n', exit_code: 0 },
          error: null,
          duration_ms: 12,
        });
        assert.equal(f.tool!.error!.code, 'GW_ERR_SKILL_FAILED');
        assert.ok(t.seq > a.seq && f.seq > t.seq);
      }),
    );

    test(
      'pages entries by kind and seq from either end, always oldest first',
      withStore(async (s) => {
        const seqs: number[] = [];
        for (let i = 0; i < 10; i++)
          seqs.push((await s.append(i % 2 ? msg('w', 'user', `m${i}`) : note('w', `n${i}`))).entry.seq);
        const newest = await s.entries('w', { limit: 3 });
        assert.deepEqual(
          newest.map((e) => e.content),
          ['m7', 'n8', 'm9'],
        );
        const oldest = await s.entries('w', { limit: 3, from: 'oldest' });
        assert.deepEqual(
          oldest.map((e) => e.content),
          ['n0', 'm1', 'n2'],
        );
        const after = await s.entries('w', { limit: 2, from: 'oldest', afterSeq: oldest[2]!.seq });
        assert.deepEqual(
          after.map((e) => e.content),
          ['m3', 'n4'],
        );
        const before = await s.entries('w', { limit: 2, beforeSeq: seqs[5] });
        assert.deepEqual(
          before.map((e) => e.content),
          ['m3', 'n4'],
        );
        const msgs = await s.entries('w', { kinds: ['message'], limit: 100 });
        assert.deepEqual(
          msgs.map((e) => e.content),
          ['m1', 'm3', 'm5', 'm7', 'm9'],
        );
        assert.deepEqual(await s.entries('nope'), []);
        await assert.rejects(s.entries('w', { limit: 0 }), isCode('GW_ERR_PROTOCOL_INVALID_PARAMS'));
      }),
    );

    test(
      'ranks English matches with bm25 and finds any of the terms when no entry has all',
      withStore(async (s) => {
        await s.append(note('w', 'The quick brown fox jumps over the lazy dog'));
        await s.append(note('w', 'Report: the fox, the fox and the FOX again'));
        await s.append(note('w', 'Nothing to see here'));
        await s.append(note('other', 'a fox in another workspace'));
        const r = await s.search('w', 'fox');
        assert.equal(r.match, 'all');
        assert.deepEqual(
          r.hits.map((h) => h.entry.content),
          ['Report: the fox, the fox and the FOX again', 'The quick brown fox jumps over the lazy dog'],
        );
        assert.ok(r.hits[0]!.score > r.hits[1]!.score);
        assert.match(r.hits[0]!.snippet, /«fox»/i);
        const both = await s.search('w', 'QUICK lazy');
        assert.deepEqual(
          both.hits.map((h) => h.entry.content),
          ['The quick brown fox jumps over the lazy dog'],
        );
        const any = await s.search('w', 'lazy nothing');
        assert.equal(any.match, 'any');
        assert.equal(any.hits.length, 2);
        assert.deepEqual(await s.search('w', 'zebra'), { hits: [], match: 'all' });
        assert.deepEqual(await s.search('w', '   '), { hits: [], match: 'none' });
      }),
    );

    test(
      'finds Chinese text by substring, short terms included, mixed with English',
      withStore(async (s) => {
        await s.append(note('w', '執行每日報告生成，並寄送給團隊'));
        await s.append(note('w', '每週的天氣報告'));
        await s.append(note('w', 'daily report 生成完成'));
        const long = await s.search('w', '報告生成');
        assert.deepEqual(
          long.hits.map((h) => h.entry.content),
          ['執行每日報告生成，並寄送給團隊'],
        );
        assert.match(long.hits[0]!.snippet, /«報告生成»/);
        const short = await s.search('w', '報告');
        assert.equal(short.match, 'all');
        assert.deepEqual(
          short.hits.map((h) => h.entry.content).sort(),
          ['執行每日報告生成，並寄送給團隊', '每週的天氣報告'].sort(),
        );
        assert.match(short.hits[0]!.snippet, /«報告»/);
        const mixed = await s.search('w', 'report 生成');
        assert.deepEqual(
          mixed.hits.map((h) => h.entry.content),
          ['daily report 生成完成'],
        );
        const oneChar = await s.search('w', '週');
        assert.deepEqual(
          oneChar.hits.map((h) => h.entry.content),
          ['每週的天氣報告'],
        );
      }),
    );

    test(
      'treats LIKE and FTS syntax in queries as plain text',
      withStore(async (s) => {
        await s.append(note('w', 'growth was 100% this year'));
        await s.append(note('w', 'growth was 1000 units'));
        await s.append(note('w', 'a_b and "quoted" text OR NOT'));
        assert.deepEqual(
          (await s.search('w', '0%')).hits.map((h) => h.entry.content),
          ['growth was 100% this year'],
        );
        assert.deepEqual(
          (await s.search('w', '_')).hits.map((h) => h.entry.content),
          ['a_b and "quoted" text OR NOT'],
        );
        assert.equal((await s.search('w', '"quoted"')).hits.length, 1);
        assert.equal((await s.search('w', 'OR NOT AND')).hits.length, 1);
      }),
    );

    test(
      'leaves system messages out of search and filters by kind',
      withStore(async (s) => {
        await s.append(msg('w', 'system', 'You are an agent with tools'));
        await s.append(msg('w', 'user', 'use the tools please'));
        await s.append(note('w', 'tools are in the shed'));
        assert.equal((await s.search('w', 'tools')).hits.length, 2);
        const notes = await s.search('w', 'tools', { kinds: ['note'] });
        assert.deepEqual(
          notes.hits.map((h) => h.entry.kind),
          ['note'],
        );
        assert.equal((await s.search('w', 'tools', { limit: 1 })).hits.length, 1);
      }),
    );

    test(
      'compacts history atomically: summary in, folded entries out of the live history, still searchable',
      withStore(async (s) => {
        const m: number[] = [];
        for (let i = 0; i < 6; i++) {
          m.push((await s.append(msg('w', i % 2 ? 'assistant' : 'user', `turn ${i} alpha`))).entry.seq);
          if (i === 1)
            await s.append({
              workspace: 'w',
              kind: 'tool_call',
              content: 'old tool',
              tool: { name: 'x', args: {}, result: 1, error: null, duration_ms: 1 },
            });
        }
        await s.append(note('w', 'a note stays'));
        assert.equal((await s.liveHistory('w')).messages, 6);
        const first = await s.compact({ workspace: 'w', beforeSeq: m[4]!, summary: 'summary one' });
        assert.equal(first.kind, 'summary');
        assert.deepEqual((await s.latestSummary('w'))!.content, 'summary one');
        assert.equal((await s.liveHistory('w')).messages, 2);
        const live = await s.entries('w', { includeCompacted: false });
        assert.deepEqual(
          live.map((e) => e.content),
          ['turn 4 alpha', 'turn 5 alpha', 'a note stays', 'summary one'],
        );
        assert.equal((await s.search('w', 'alpha')).hits.length, 6);
        const second = await s.compact({
          workspace: 'w',
          beforeSeq: m[5]!,
          summary: 'summary two',
          metadata: { n: 1 },
        });
        assert.deepEqual(second.metadata, { n: 1 });
        assert.equal((await s.latestSummary('w'))!.id, second.id);
        assert.equal((await s.entries('w', { kinds: ['summary'], includeCompacted: false })).length, 1);
        await s.compact({
          workspace: 'w',
          beforeSeq: m[5]! + 1000,
          summary: 'summary three',
          deleteCompacted: true,
        });
        // Deleting applies to what this compaction folds; entries flagged by earlier ones stay.
        const left = await s.search('w', 'alpha');
        assert.deepEqual(
          left.hits.map((h) => h.entry.content).sort(),
          [0, 1, 2, 3, 4].map((i) => `turn ${i} alpha`),
        );
        assert.deepEqual(
          (await s.entries('w', { includeCompacted: false })).map((e) => e.content),
          ['a note stays', 'summary three'],
        );
        assert.deepEqual((await s.get('w'))!.counts, {
          note: 1,
          fact: 0,
          message: 5,
          tool_call: 1,
          summary: 2,
        });
      }),
    );

    test(
      'deletes a workspace with its entries and index rows',
      withStore(async (s) => {
        await s.append(note('w', 'remove me please'));
        await s.append(note('keep', 'remove me please'));
        assert.equal(await s.delete('w'), true);
        assert.equal(await s.delete('w'), false);
        assert.equal(await s.get('w'), null);
        assert.equal((await s.search('w', 'remove')).hits.length, 0);
        assert.equal((await s.search('keep', 'remove')).hits.length, 1);
        assert.deepEqual(await s.totals(), { workspaces: 1, entries: 1 });
      }),
    );

    test(
      'keeps vectors per model, answers nearest by cosine and lists what is not embedded yet',
      withStore(async (s) => {
        const a = (await s.append(note('w', 'car'))).entry;
        const b = (await s.append(note('w', 'cat'))).entry;
        const c = (await s.append(note('w', 'truck'))).entry;
        await s.append(msg('w', 'system', 'never embedded'));
        assert.deepEqual(
          (await s.unembedded('m1', 10)).map((e) => e.id),
          [a.id, b.id, c.id],
        );
        await s.setVector(a.seq, 'm1', Float32Array.from([1, 0, 0]));
        await s.setVector(b.seq, 'm1', Float32Array.from([0, 1, 0]));
        await s.setVector(c.seq, 'm1', Float32Array.from([0.9, 0.1, 0]));
        assert.deepEqual(await s.unembedded('m1', 10), []);
        assert.deepEqual(
          (await s.unembedded('m2', 10, a.seq)).map((e) => e.id),
          [b.id, c.id],
        );
        const near = await s.nearest('w', 'm1', Float32Array.from([1, 0.05, 0]), { limit: 2 });
        assert.deepEqual(
          near.map((h) => h.entry.id),
          [a.id, c.id],
        );
        assert.ok(near[0]!.similarity > 0.99 && near[0]!.similarity <= 1.0001);
        assert.deepEqual(await s.nearest('w', 'm1', Float32Array.from([1, 0]), {}), []);
        assert.deepEqual(await s.nearest('w', 'm2', Float32Array.from([1, 0, 0]), {}), []);
        assert.deepEqual(await s.nearest('w', 'm1', Float32Array.from([0, 0, 0]), {}), []);
      }),
    );
  });
}
