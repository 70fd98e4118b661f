/** @module Unit tests: the deterministic extractive summary used when no LLM summariser is installed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractiveSummarize, extractiveSummary, PREVIOUS_SUMMARY_PREFIX } from './extractive-summary.js';
import type { HistoryMessage } from './history.js';

const history: HistoryMessage[] = [
  { role: 'system', content: 'You are an agent' },
  { role: 'user', content: '執行每日報告生成' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"command":"echo hello"}' } },
    ],
  },
  { role: 'tool', content: '{"stdout":"hello\\n"}', tool_call_id: 'c1' },
  { role: 'assistant', content: 'The report is ready.' },
];

test('keeps the request, the tool call with its result and the answer, in order, without the system prompt', () => {
  const s = extractiveSummary(history);
  assert.equal(
    s,
    [
      'Earlier conversation (4 messages, summarised):',
      '- User: 執行每日報告生成',
      '- Tool shell({"command":"echo hello"}) → {"stdout":"hello\\n"}',
      '- Assistant: The report is ready.',
    ].join('\n'),
  );
  assert.equal(extractiveSummary(history), s, 'deterministic');
});

test('within a small budget, user requests win over tool chatter, and omissions are counted', () => {
  const many: HistoryMessage[] = [];
  for (let i = 0; i < 30; i++) {
    many.push({ role: 'user', content: `request number ${i}` });
    many.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `c${i}`, function: { name: 'file', arguments: 'x'.repeat(100) } }],
    });
    many.push({ role: 'tool', content: 'y'.repeat(100), tool_call_id: `c${i}` });
  }
  const s = extractiveSummary(many, { maxChars: 1200 });
  assert.ok(s.length <= 1200, `${s.length}`);
  for (let i = 0; i < 30; i++) assert.match(s, new RegExp(`request number ${i}\\b`));
  assert.match(s, /less important lines omitted/);
  assert.ok((s.match(/Tool file/g) ?? []).length < 3);
});

test('carries the previous summary forward, before the new lines', async () => {
  const prev = 'Earlier conversation (2 messages, summarised):\n- User: set up the cron job';
  const input: HistoryMessage[] = [{ role: 'system', content: PREVIOUS_SUMMARY_PREFIX + prev }, ...history];
  const s = await extractiveSummarize(input, { workspace: 'w', previousSummary: prev, maxChars: 6000 });
  assert.ok(s.startsWith(prev), s);
  assert.match(s, /User: 執行每日報告生成/);
  assert.equal((s.match(/set up the cron job/g) ?? []).length, 1);
});
