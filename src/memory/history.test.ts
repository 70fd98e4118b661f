/** @module Unit tests: cut points that never split tool calls from results, and API-safe histories. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutAtOrBefore, safeCuts, sanitizeHistory, type HistoryMessage } from './history.js';

const call = (id: string, name = 'shell') => ({
  id,
  type: 'function' as const,
  function: { name, arguments: '{}' },
});
const u = (c: string): HistoryMessage => ({ role: 'user', content: c });
const a = (c: string | null, ...calls: string[]): HistoryMessage => ({
  role: 'assistant',
  content: c,
  ...(calls.length ? { tool_calls: calls.map((id) => call(id)) } : {}),
});
const t = (id: string): HistoryMessage => ({ role: 'tool', content: `result ${id}`, tool_call_id: id });

test('no cut falls between an assistant tool call and its results', () => {
  const h = [u('q'), a(null, 'c1', 'c2'), t('c1'), t('c2'), a('done'), u('next')];
  assert.deepEqual(safeCuts(h), [true, true, false, false, true, true, true]);
  assert.equal(cutAtOrBefore(h, 3), 1);
  assert.equal(cutAtOrBefore(h, 4), 4);
  assert.equal(cutAtOrBefore(h, 99), 6);
});

test('a call still waiting for its result blocks every later cut', () => {
  const h = [u('q'), a('', 'c1'), u('interrupted?'), a('hmm')];
  assert.deepEqual(safeCuts(h), [true, true, false, false, true]);
  assert.equal(cutAtOrBefore(h, 3), 1);
});

test('a sanitised history drops system messages, orphan results and unanswered calls', () => {
  const h: HistoryMessage[] = [
    { role: 'system', content: 'prompt' },
    t('gone'),
    u('q'),
    a('calling', 'c1', 'c2'),
    t('c1'),
    a(null, 'c3'),
  ];
  assert.deepEqual(sanitizeHistory(h), [
    u('q'),
    { role: 'assistant', content: 'calling', tool_calls: [call('c1')] },
    t('c1'),
  ]);
});
