/** @module Tests of the file skill: confinement to the workspace, read/write/list/search and limits. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { createSkillContext } from './context.js';
import { createFileSkill } from './file.js';
import { createSkillRegistry } from './registry.js';
import type { SkillContext } from './skill.js';

let dir: string;
let ws: string;
let outside: string;
let c: SkillContext;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-file-'));
  ws = join(dir, 'ws');
  outside = join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'outside secret\n');
  c = await createSkillContext({ taskId: 'f1', workspaceDir: ws });
  await symlink('/tmp', join(ws, 'tmp-link'));
  await symlink(outside, join(ws, 'out-link'));
  await symlink(join(outside, 'not-yet'), join(ws, 'dangling'));
  await mkdir(join(ws, 'inner'), { recursive: true });
  await symlink('inner', join(ws, 'inner-link'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reg = createSkillRegistry([
  createFileSkill({ maxReadBytes: 1000, maxWriteBytes: 2000, maxSearchResults: 3 }),
]);
const file = (args: Record<string, unknown>) => reg.invoke('file', args, c) as Promise<Record<string, any>>;

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError, String(err));
  return err.code;
}

describe('file skill: confinement', () => {
  test('refuses ../ escapes, absolute paths and symlinks leading outside', async () => {
    for (const path of ['../x', '../outside/secret.txt', 'inner/../../outside/secret.txt', '/etc/passwd']) {
      assert.equal(await code(file({ op: 'read', path })), 'GW_ERR_SKILL_DENIED', path);
    }
    assert.equal(await code(file({ op: 'read', path: 'out-link/secret.txt' })), 'GW_ERR_SKILL_DENIED');
    assert.equal(await code(file({ op: 'list', path: 'tmp-link' })), 'GW_ERR_SKILL_DENIED');
    assert.equal(
      await code(file({ op: 'search', pattern: 'secret', path: 'out-link' })),
      'GW_ERR_SKILL_DENIED',
    );
  });

  test('refuses to create files through symlinks or dangling links that point outside', async () => {
    assert.equal(
      await code(file({ op: 'write', path: 'tmp-link/oc-escape.txt', content: 'x' })),
      'GW_ERR_SKILL_DENIED',
    );
    assert.equal(
      await code(file({ op: 'write', path: 'out-link/new/deep.txt', content: 'x' })),
      'GW_ERR_SKILL_DENIED',
    );
    assert.equal(await code(file({ op: 'write', path: 'dangling', content: 'x' })), 'GW_ERR_SKILL_DENIED');
    assert.equal(
      await code(file({ op: 'write', path: '/tmp/oc-escape.txt', content: 'x' })),
      'GW_ERR_SKILL_DENIED',
    );
    await assert.rejects(readFile(join(outside, 'not-yet')), /ENOENT/);
    await assert.rejects(readFile(join(outside, 'new', 'deep.txt')), /ENOENT/);
  });

  test('symlinks that stay inside the workspace are followed', async () => {
    await file({ op: 'write', path: 'inner/a.txt', content: 'via inner' });
    const r = await file({ op: 'read', path: 'inner-link/a.txt' });
    assert.equal(r.content, 'via inner');
    assert.equal(r.path, 'inner/a.txt');
  });

  test('a listing shows symlinks but never walks through them', async () => {
    const r = await file({ op: 'list', recursive: true });
    const paths = (r.entries as Array<{ path: string; type: string }>).map((e) => `${e.path}:${e.type}`);
    assert.ok(paths.includes('tmp-link:symlink'));
    assert.ok(paths.includes('out-link:symlink'));
    assert.ok(!paths.some((p) => p.startsWith('out-link/')), 'walked through a link');
  });
});

describe('file skill: operations', () => {
  test('write then read, in place and in new directories', async () => {
    const w = await file({ op: 'write', path: 'notes/today.md', content: '# hello\nworld\n' });
    assert.deepEqual(w, { path: 'notes/today.md', bytes_written: 14, size: 14 });
    assert.equal(await readFile(join(ws, 'notes', 'today.md'), 'utf8'), '# hello\nworld\n');
    const r = await file({ op: 'read', path: 'notes/today.md' });
    assert.equal(r.content, '# hello\nworld\n');
    assert.equal(r.size, 14);
    await file({ op: 'write', path: 'notes/today.md', content: 'more\n', append: true });
    assert.equal((await file({ op: 'read', path: './notes//today.md' })).content, '# hello\nworld\nmore\n');
  });

  test('base64 round-trips binary content', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await file({ op: 'write', path: 'bin/x.dat', content: bytes.toString('base64'), encoding: 'base64' });
    const r = await file({ op: 'read', path: 'bin/x.dat', encoding: 'base64' });
    assert.deepEqual(Buffer.from(r.content, 'base64'), bytes);
  });

  test('missing files, directories and size limits fail clearly', async () => {
    assert.equal(await code(file({ op: 'read', path: 'nope.txt' })), 'GW_ERR_SKILL_FAILED');
    assert.equal(await code(file({ op: 'read', path: 'notes' })), 'GW_ERR_SKILL_FAILED');
    await writeFile(join(ws, 'big.txt'), 'x'.repeat(1001));
    const err = await file({ op: 'read', path: 'big.txt' }).catch((e: GatewayError) => e);
    assert.ok(err instanceof GatewayError && /over the read limit of 1000/.test(err.message));
    assert.equal(
      await code(file({ op: 'write', path: 'huge.txt', content: 'y'.repeat(2001) })),
      'GW_ERR_SKILL_FAILED',
    );
    await assert.rejects(readFile(join(ws, 'huge.txt')), /ENOENT/);
    await file({ op: 'write', path: 'grow.txt', content: 'z'.repeat(1500) });
    assert.equal(
      await code(file({ op: 'write', path: 'grow.txt', content: 'z'.repeat(600), append: true })),
      'GW_ERR_SKILL_FAILED',
    );
    assert.equal(await code(file({ op: 'write', path: 'notes', content: 'x' })), 'GW_ERR_SKILL_FAILED');
    assert.equal(await code(file({ op: 'write', path: '.', content: 'x' })), 'GW_ERR_SKILL_FAILED');
  });

  test('list is flat by default and recursive on request, sorted', async () => {
    await file({ op: 'write', path: 'tree/b.txt', content: 'b' });
    await file({ op: 'write', path: 'tree/a/c.txt', content: 'cc' });
    const flat = await file({ op: 'list', path: 'tree' });
    assert.deepEqual(flat.entries, [
      { path: 'tree/a', type: 'dir', size: flat.entries[0].size },
      { path: 'tree/b.txt', type: 'file', size: 1 },
    ]);
    const deep = await file({ op: 'list', path: 'tree', recursive: true });
    assert.deepEqual(
      deep.entries.map((e: { path: string }) => e.path),
      ['tree/a', 'tree/b.txt', 'tree/a/c.txt'],
    );
    assert.equal(deep.truncated, false);
    assert.equal(await code(file({ op: 'list', path: 'tree/b.txt' })), 'GW_ERR_SKILL_FAILED');
  });

  test('search finds substrings and regexes in text files, skipping binaries, capped', async () => {
    await file({ op: 'write', path: 'src/one.ts', content: 'const alpha = 1;\nconst beta = 2;\n' });
    await file({ op: 'write', path: 'src/two.ts', content: '// Alpha version\nlet gamma = alpha + 1;\n' });
    await writeFile(join(ws, 'src', 'blob.bin'), Buffer.concat([Buffer.from('alpha'), Buffer.from([0, 0])]));
    const sub = await file({ op: 'search', pattern: 'alpha', path: 'src' });
    assert.deepEqual(sub.matches, [
      { path: 'src/one.ts', line: 1, text: 'const alpha = 1;' },
      { path: 'src/two.ts', line: 2, text: 'let gamma = alpha + 1;' },
    ]);
    assert.equal(sub.files_searched, 2);
    assert.equal(sub.truncated, false);
    const ci = await file({ op: 'search', pattern: 'ALPHA', path: 'src', ignore_case: true });
    assert.equal(ci.matches.length, 3);
    const re = await file({ op: 'search', pattern: '^const \\w+ = [0-9]', regex: true, path: 'src' });
    assert.deepEqual(
      re.matches.map((m: { line: number }) => m.line),
      [1, 2],
    );
    const one = await file({ op: 'search', pattern: 'beta', path: 'src/one.ts' });
    assert.equal(one.matches.length, 1);
    await file({ op: 'write', path: 'many/x.txt', content: 'hit\nhit\nhit\nhit\nhit\n' });
    const capped = await file({ op: 'search', pattern: 'hit', path: 'many' });
    assert.equal(capped.matches.length, 3);
    assert.equal(capped.truncated, true);
    assert.equal(await code(file({ op: 'search', pattern: '(', regex: true })), 'GW_ERR_SKILL_INVALID_ARGS');
  });

  test('an unknown op is an invalid-args error naming op', async () => {
    const err = await file({ op: 'delete', path: 'x' }).catch((e: GatewayError) => e);
    assert.ok(err instanceof GatewayError && err.code === 'GW_ERR_SKILL_INVALID_ARGS');
    assert.equal(err.details.path, 'op');
  });
});
