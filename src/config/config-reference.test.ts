import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderConfigReference } from './generate-docs.js';

// Compiled tests run from dist/src/..., sources from src/...: both resolve to the repository root.
const here = fileURLToPath(import.meta.url);
const root = pathToFileURL(
  `${here.includes('/dist/') ? here.slice(0, here.indexOf('/dist/')) : join(dirname(here), '..', '..')}/`,
);

test('docs/config-reference.md is generated from the schema and up to date (npm run gen:docs)', () => {
  const committed = readFileSync(new URL('docs/config-reference.md', root), 'utf8');
  assert.equal(committed, renderConfigReference());
});

test('the reference documents every seed key of sections 4.2, 9.2 and 10.3', () => {
  const doc = renderConfigReference();
  for (const key of [
    'gateway.host',
    'gateway.port',
    'gateway.websocket_path',
    'gateway.websocket.ping_interval',
    'gateway.websocket.ping_timeout',
    'gateway.websocket.max_message_size',
    'gateway.websocket.idle_timeout',
    'tasks.default_timeout',
    'tasks.long_task_warning',
    'tasks.queue_timeout',
    'reconnect.max_retries',
    'reconnect.initial_delay',
    'reconnect.max_delay',
    'reconnect.backoff_factor',
    'logging.format',
    'logging.level',
    'logging.output',
  ]) {
    assert.ok(doc.includes(`| \`${key}\` |`), key);
  }
});
