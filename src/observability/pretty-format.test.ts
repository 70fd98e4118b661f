/** @module Tests of the human-readable log line format. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPretty } from './pretty-format.js';

const line = (rec: Record<string, unknown>): string => `${JSON.stringify(rec)}\n`;

describe('formatPretty', () => {
  test('puts time, level, component, event and message first, then the other fields', () => {
    const out = formatPretty(
      line({
        level: 'info',
        timestamp: '2026-02-22T10:30:00.000Z',
        component: 'gateway',
        event: 'task_completed',
        task_id: 'task-abc123',
        workspace: 'prod workspace',
        duration_ms: 45230,
        tags: ['a', 'b'],
        msg: 'task done',
      }),
    );
    assert.equal(
      out,
      '2026-02-22T10:30:00.000Z INFO  [gateway] task_completed: task done task_id=task-abc123 ' +
        'workspace="prod workspace" duration_ms=45230 tags=["a","b"]\n',
    );
  });

  test('indents an error stack and its extra fields under the line', () => {
    const out = formatPretty(
      line({
        level: 'error',
        timestamp: '2026-02-22T10:30:00.000Z',
        component: 'llm',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)', code: 'E1' },
        msg: 'boom',
      }),
    );
    assert.equal(
      out,
      '2026-02-22T10:30:00.000Z ERROR [llm] boom\n    Error: boom\n        at f (x.js:1:1)\n    code=E1\n',
    );
  });

  test('colours the level only when asked', () => {
    const rec = line({ level: 'warn', timestamp: 't', msg: 'm' });
    assert.equal(formatPretty(rec).includes('\x1b['), false);
    assert.ok(formatPretty(rec, { colors: true }).includes('\x1b[33mWARN \x1b[0m'));
  });

  test('passes a line that is not a JSON object through unchanged', () => {
    assert.equal(formatPretty('not json\n'), 'not json\n');
    assert.equal(formatPretty('[1,2]\n'), '[1,2]\n');
  });
});
