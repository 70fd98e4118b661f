/** @module Tests of the echo skill. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { createSkillContext } from './context.js';
import { createEchoSkill } from './echo.js';
import { createSkillRegistry } from './registry.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-echo-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reg = createSkillRegistry([createEchoSkill()]);

describe('echo skill', () => {
  test('returns its args', async () => {
    const c = await createSkillContext({ taskId: 'e1', workspaceDir: dir });
    assert.deepEqual(await reg.invoke('echo', { message: 'hi' }, c), { message: 'hi' });
  });

  test('waits delay_ms before answering', async () => {
    const c = await createSkillContext({ taskId: 'e2', workspaceDir: dir });
    const started = Date.now();
    assert.deepEqual(await reg.invoke('echo', { message: 'late', delay_ms: 120 }, c), {
      message: 'late',
      delay_ms: 120,
    });
    assert.ok(Date.now() - started >= 110);
  });

  test('an abort during the delay ends it at once as a cancellation', async () => {
    const ac = new AbortController();
    const c = await createSkillContext({ taskId: 'e3', workspaceDir: dir, signal: ac.signal });
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(
      reg.invoke('echo', { delay_ms: 10_000 }, c),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TASK_CANCELLED',
    );
    assert.ok(Date.now() - started < 1000, 'did not wait for the delay');
  });

  test('the task timeout ends a long delay as GW_ERR_TASK_TIMEOUT', async () => {
    const c = await createSkillContext({ taskId: 'e4', workspaceDir: dir, timeoutMs: 60 });
    await assert.rejects(
      reg.invoke('echo', { delay_ms: 10_000 }, c),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TASK_TIMEOUT',
    );
  });

  test('fail makes it fail with that text', async () => {
    const c = await createSkillContext({ taskId: 'e5', workspaceDir: dir });
    await assert.rejects(
      reg.invoke('echo', { fail: 'requested failure' }, c),
      (e: unknown) =>
        e instanceof GatewayError && e.code === 'GW_ERR_SKILL_FAILED' && e.message === 'requested failure',
    );
  });
});
