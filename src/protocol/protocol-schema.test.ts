import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProtocolSchema } from './generate-schema.js';
import { parseFrame } from './frames.js';
import { ERRORS, type ErrorSpec } from './errors.js';

// Compiled tests run from dist/src/..., sources from src/...: both resolve to the repository root.
const here = fileURLToPath(import.meta.url);
const root = pathToFileURL(
  `${here.includes('/dist/') ? here.slice(0, here.indexOf('/dist/')) : join(dirname(here), '..', '..')}/`,
);

test('protocol.schema.json is generated from the zod schemas and up to date (npm run gen:schema)', () => {
  const committed = JSON.parse(readFileSync(new URL('protocol.schema.json', root), 'utf8'));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(buildProtocolSchema())));
});

test('parseFrame recovers the id of a malformed request so the peer learns which one failed', () => {
  assert.deepEqual(parseFrame('{"type":"nope","id":"7"}'), {
    ok: false,
    reason: 'frame has no valid type (req, res or event) or a malformed field',
    id: '7',
  });
  assert.equal(parseFrame('{not json').ok, false);
  const ok = parseFrame('{"type":"req","id":"1","method":"health"}');
  assert.equal(ok.ok, true);
});

test('every error code follows GW_ERR_<AREA>_<PROBLEM> and auth errors close with 44xx', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.match(code, /^GW_ERR_[A-Z]+_[A-Z_]+$/);
    const close = (spec as ErrorSpec).close;
    if (code.startsWith('GW_ERR_AUTH_')) assert.ok(close === 4401 || close === 4403, code);
  }
});
