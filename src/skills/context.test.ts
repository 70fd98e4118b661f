/** @module Tests of createSkillContext and the path guard it feeds. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { createSkillContext, taskDirName } from './context.js';
import { resolveInside } from './path-guard.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-ctx-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createSkillContext', () => {
  test('gives each task its own directory inside the workspace, made only by skills that use it', async () => {
    const a = await createSkillContext({ taskId: 'task-a', workspaceDir: join(dir, 'ws') });
    const b = await createSkillContext({ taskId: 'task-b', workspaceDir: join(dir, 'ws') });
    assert.notEqual(a.workDir, b.workDir);
    assert.equal(relative(a.workspaceDir, a.workDir), join('.tasks', 'task-a'));
    assert.ok((await stat(a.workspaceDir)).isDirectory());
    await assert.rejects(stat(a.workDir), { code: 'ENOENT' });
    assert.equal(a.signal.aborted, false);
    assert.equal(a.timeoutMs, undefined);
  });

  test('task ids that are not safe path segments are neutralised', async () => {
    assert.equal(taskDirName('../../etc'), '.._.._etc');
    assert.equal(taskDirName('..'), '_..');
    assert.equal(taskDirName(''), '_');
    assert.equal(taskDirName('a/b\\c d'), 'a_b_c_d');
    const c = await createSkillContext({ taskId: '../escape', workspaceDir: join(dir, 'ws2') });
    assert.ok(!relative(c.workspaceDir, c.workDir).startsWith('..'));
  });
});

describe('resolveInside', () => {
  test('judges a path that does not exist yet by its nearest existing parent', async () => {
    const root = join(dir, 'root');
    await createSkillContext({ taskId: 'x', workspaceDir: root });
    await symlink('/tmp', join(root, 'ln'));
    const ok = await resolveInside(root, 'new/dir/file.txt', { allowMissing: true });
    assert.equal(ok.relative, 'new/dir/file.txt');
    assert.equal(ok.exists, false);
    await assert.rejects(
      resolveInside(root, 'ln/new/file.txt', { allowMissing: true }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_SKILL_DENIED',
    );
    await assert.rejects(
      resolveInside(root, 'new/file.txt'),
      (e: unknown) =>
        e instanceof GatewayError && e.code === 'GW_ERR_SKILL_FAILED' && /no such file/.test(e.message),
    );
    await assert.rejects(
      resolveInside(root, 'a\0b'),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_SKILL_DENIED',
    );
    assert.equal((await resolveInside(root, '.')).relative, '.');
  });
});
