/** @module Tests of the skill registry: validation, error normalisation, timeouts and tool definitions. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { createSkillContext } from './context.js';
import { createDefaultSkills } from './defaults.js';
import { createEchoSkill } from './echo.js';
import { createFileSkill } from './file.js';
import { createSkillRegistry } from './registry.js';
import { defineSkill, type AnySkill, type SkillContext } from './skill.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-registry-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(extra: Partial<Parameters<typeof createSkillContext>[0]> = {}): Promise<SkillContext> {
  return createSkillContext({ taskId: 't1', workspaceDir: join(dir, 'ws'), ...extra });
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<GatewayError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

const thrower = (name: string, run: () => Promise<unknown>): AnySkill =>
  defineSkill({ name, description: name, capability: 'test', args: z.object({}), run });

describe('createSkillRegistry', () => {
  test('an unknown skill is GW_ERR_SKILL_NOT_FOUND', async () => {
    const reg = createSkillRegistry([createEchoSkill()]);
    const err = await rejectsWith(reg.invoke('nope', {}, await ctx()), 'GW_ERR_SKILL_NOT_FOUND');
    assert.equal(err.details.skill, 'nope');
  });

  test('invalid args name the failing path, down into nested unions', async () => {
    const reg = createSkillRegistry(createDefaultSkills());
    const c = await ctx();
    let err = await rejectsWith(reg.invoke('echo', { delay_ms: 'soon' }, c), 'GW_ERR_SKILL_INVALID_ARGS');
    assert.equal(err.details.path, 'delay_ms');
    assert.equal(err.details.skill, 'echo');
    assert.match(String(err.details.reason), /^delay_ms: /);
    err = await rejectsWith(
      reg.invoke('browser', { actions: [{ open: 42 }] }, c),
      'GW_ERR_SKILL_INVALID_ARGS',
    );
    assert.match(String(err.details.path), /^actions\[0\]/);
    err = await rejectsWith(reg.invoke('file', { op: 'read' }, c), 'GW_ERR_SKILL_INVALID_ARGS');
    assert.equal(err.details.path, 'path');
    err = await rejectsWith(reg.invoke('echo', { unknown_key: 1 }, c), 'GW_ERR_SKILL_INVALID_ARGS');
    assert.match(String(err.details.reason), /unknown_key/);
  });

  test('missing args count as an empty object', async () => {
    const reg = createSkillRegistry([createEchoSkill()]);
    assert.deepEqual(await reg.invoke('echo', undefined, await ctx()), {});
  });

  test('whatever a skill throws comes out as GW_ERR_SKILL_FAILED', async () => {
    const reg = createSkillRegistry([
      thrower('error', async () => {
        throw new Error('disk on fire');
      }),
      thrower('text', () => Promise.reject('plain string')),
      thrower('object', () => Promise.reject({ weird: true })),
      // Not async: a synchronous throw must not escape invoke either.
      thrower('sync', () => {
        throw new TypeError('sync boom');
      }),
    ]);
    const c = await ctx();
    assert.match(
      (await rejectsWith(reg.invoke('error', {}, c), 'GW_ERR_SKILL_FAILED')).message,
      /disk on fire/,
    );
    assert.match(
      (await rejectsWith(reg.invoke('text', {}, c), 'GW_ERR_SKILL_FAILED')).message,
      /plain string/,
    );
    assert.match((await rejectsWith(reg.invoke('object', {}, c), 'GW_ERR_SKILL_FAILED')).message, /weird/);
    const err = await rejectsWith(reg.invoke('sync', {}, c), 'GW_ERR_SKILL_FAILED');
    assert.equal(err.details.skill, 'sync');
  });

  test('a GatewayError thrown by a skill passes through unchanged', async () => {
    const reg = createSkillRegistry([
      thrower('deny', async () => {
        throw new GatewayError('GW_ERR_SKILL_DENIED', { reason: 'policy says no' });
      }),
    ]);
    const err = await rejectsWith(reg.invoke('deny', {}, await ctx()), 'GW_ERR_SKILL_DENIED');
    assert.equal(err.message, 'policy says no');
  });

  test('a skill that hangs and ignores its signal is abandoned at the task timeout', async () => {
    let sawAbort = false;
    const reg = createSkillRegistry(
      [
        defineSkill({
          name: 'hang',
          description: 'never returns',
          capability: 'test',
          args: z.object({}),
          run: (_a, c) => {
            c.signal.addEventListener('abort', () => (sawAbort = true));
            return new Promise(() => {});
          },
        }),
      ],
      { abortGraceMs: 50 },
    );
    const started = Date.now();
    const err = await rejectsWith(
      reg.invoke('hang', {}, await ctx({ timeoutMs: 150 })),
      'GW_ERR_TASK_TIMEOUT',
    );
    const took = Date.now() - started;
    assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
    assert.equal(err.details.which, 'task');
    assert.equal(err.details.seconds, 0.15);
    assert.ok(sawAbort, 'the skill saw its signal fire');
  });

  test('cancelling a hanging skill rejects with GW_ERR_TASK_CANCELLED and the reason', async () => {
    const reg = createSkillRegistry([thrower('hang', () => new Promise(() => {}))], { abortGraceMs: 20 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new GatewayError('GW_ERR_TASK_CANCELLED', { reason: 'operator asked' })), 50);
    const err = await rejectsWith(
      reg.invoke('hang', {}, await ctx({ signal: ac.signal })),
      'GW_ERR_TASK_CANCELLED',
    );
    assert.match(err.message, /operator asked/);
  });

  test('the abort wins over whatever the skill throws while winding down', async () => {
    const reg = createSkillRegistry([
      defineSkill({
        name: 'messy',
        description: 'throws a random error when aborted',
        capability: 'test',
        args: z.object({}),
        run: (_a, c) =>
          new Promise((_r, reject) =>
            c.signal.addEventListener('abort', () => reject(new Error('Target closed'))),
          ),
      }),
    ]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    await rejectsWith(reg.invoke('messy', {}, await ctx({ signal: ac.signal })), 'GW_ERR_TASK_CANCELLED');
  });

  test('an already-aborted signal never starts the skill', async () => {
    let ran = false;
    const reg = createSkillRegistry([thrower('x', async () => (ran = true))]);
    const signal = AbortSignal.abort('shutting down');
    const err = await rejectsWith(reg.invoke('x', {}, await ctx({ signal })), 'GW_ERR_TASK_CANCELLED');
    assert.match(err.message, /shutting down/);
    assert.equal(ran, false);
  });

  test('an AbortSignal.timeout reason maps to GW_ERR_TASK_TIMEOUT', async () => {
    const reg = createSkillRegistry([createEchoSkill()]);
    const signal = AbortSignal.timeout(30);
    await rejectsWith(reg.invoke('echo', { delay_ms: 5000 }, await ctx({ signal })), 'GW_ERR_TASK_TIMEOUT');
  });

  test('progress is forwarded while running and dropped after an abort', async () => {
    const seen: string[] = [];
    let late: (() => void) | undefined;
    const reg = createSkillRegistry(
      [
        defineSkill({
          name: 'chatty',
          description: 'reports progress',
          capability: 'test',
          args: z.object({}),
          run: (_a, c) => {
            c.progress('step 1');
            late = () => c.progress('after the end');
            return new Promise(() => {});
          },
        }),
      ],
      { abortGraceMs: 10 },
    );
    const c = await ctx({ timeoutMs: 30, progress: (m) => seen.push(m) });
    await rejectsWith(reg.invoke('chatty', {}, c), 'GW_ERR_TASK_TIMEOUT');
    late?.();
    assert.deepEqual(seen, ['step 1']);
  });

  test('capabilities are the distinct capabilities, sorted', () => {
    const reg = createSkillRegistry(createDefaultSkills());
    assert.deepEqual(reg.capabilities(), ['browser', 'echo', 'file', 'shell']);
    assert.deepEqual(
      createSkillRegistry(createDefaultSkills({ capabilities: ['shell', 'file', 'gpu'] })).capabilities(),
      ['file', 'shell'],
    );
    assert.equal(reg.get('shell')?.capability, 'shell');
    assert.equal(reg.get('missing'), undefined);
    assert.deepEqual(
      reg.list().map((s) => s.name),
      ['echo', 'shell', 'file', 'browser'],
    );
  });

  test('duplicate or tool-unsafe names are refused at construction', () => {
    assert.throws(() => createSkillRegistry([createEchoSkill(), createEchoSkill()]), /registered twice/);
    assert.throws(
      () => createSkillRegistry([thrower('has space', async () => 1)]),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_INVALID',
    );
  });

  test('toolDefinitions are OpenAI function tools with an object schema at the root', () => {
    const reg = createSkillRegistry(createDefaultSkills());
    const tools = reg.toolDefinitions();
    assert.deepEqual(
      tools.map((t) => t.function.name),
      ['echo', 'shell', 'file', 'browser'],
    );
    for (const t of tools) {
      assert.equal(t.type, 'function');
      assert.equal(t.function.parameters.type, 'object', t.function.name);
      assert.ok(t.function.description.length > 10);
      assert.equal(t.function.parameters.$schema, undefined);
    }
    const shell = tools.find((t) => t.function.name === 'shell')!.function.parameters;
    assert.deepEqual(shell.required, ['command']);
    // The file skill's discriminated union is flattened: op becomes an enum, only op is required.
    const file = tools.find((t) => t.function.name === 'file')!.function.parameters as {
      properties: Record<string, { enum?: unknown[] }>;
      required: string[];
      description: string;
    };
    assert.deepEqual(file.properties.op?.enum, ['read', 'write', 'list', 'search']);
    assert.deepEqual(file.required, ['op']);
    assert.ok(file.properties.content && file.properties.pattern && file.properties.recursive);
    assert.match(file.description, /op="write" requires path, content/);
    // Defaults make a property optional for the caller (input schema, not output).
    const echo = tools.find((t) => t.function.name === 'echo')!.function.parameters;
    assert.equal(echo.required, undefined);
    // Callers may mutate what they get without corrupting the registry's copy.
    tools[0]!.function.name = 'changed';
    assert.equal(reg.toolDefinitions()[0]!.function.name, 'echo');
  });

  test('dispose reaches every skill that has one, even if one fails', async () => {
    const disposed: string[] = [];
    const mk = (name: string, fail: boolean): AnySkill => ({
      ...thrower(name, async () => 1),
      dispose: async () => {
        disposed.push(name);
        if (fail) throw new Error('cannot close');
      },
    });
    const reg = createSkillRegistry([mk('a', true), createFileSkill(), mk('b', false)]);
    await reg.dispose();
    assert.deepEqual(disposed, ['a', 'b']);
  });
});
