/**
 * The Dockerfile and the compose files pass real linters: dockerfile-utils (the Docker language
 * server's validator) and dclint (rules in deploy/dclint.json; the few disabled ones are the seed's own
 * layout, e.g. build + image together, and nginx publishing 80/443 on every interface by design).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { deployPath, readDeploy, repoRoot } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';

const COMPOSE = ['docker/docker-compose.yml', 'monitoring/docker-compose.yml'];
const dclint = join(repoRoot(), 'node_modules', '.bin', 'dclint');

test('the Dockerfile has no linter diagnostics', () => {
  const diagnostics = validate(readDeploy('docker/Dockerfile'));
  assert.deepEqual(
    diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`),
    [],
  );
});

test('the Dockerfile linter is not a rubber stamp: it flags a broken instruction', () => {
  const broken = readDeploy('docker/Dockerfile').replace(/^EXPOSE 18789.*$/m, 'EXPOSE eighteen');
  assert.ok(validate(broken).length > 0);
});

test('the compose files pass dclint with deploy/dclint.json', () => {
  const res = runTool(dclint, ['-c', deployPath('dclint.json'), ...COMPOSE.map((f) => deployPath(f))]);
  assert.equal(res.status, 0, res.stdout + res.stderr);
});

test('dclint fails a compose file with an unpinned image (the check can fail)', () => {
  const tmp = makeTempDir('openclaw-dclint-');
  try {
    const file = join(tmp.path, 'docker-compose.yml');
    writeFileSync(
      file,
      readDeploy('docker/docker-compose.yml').replace(/image: nginx:[^\s]+/, 'image: nginx:latest'),
    );
    const res = runTool(dclint, ['-c', deployPath('dclint.json'), file]);
    assert.notEqual(res.status, 0);
    assert.match(res.stdout + res.stderr, /concrete version tag/);
  } finally {
    tmp.remove();
  }
});
