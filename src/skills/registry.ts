/** @module The set of skills a node offers: lookup, validated invocation and LLM tool definitions. */
import type { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { abortErrorFrom, isAbortError, linkedController } from './abort.js';
import type { AnySkill, SkillContext } from './skill.js';
import { toolParameters } from './tool-schema.js';

/** An OpenAI-style function tool; Anthropic's `input_schema` is the same `parameters` object. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** Options of `createSkillRegistry`. */
export interface SkillRegistryOptions {
  /**
   * After the run's signal fires, how long `invoke` waits for the skill to wind down (kill its process
   * group, close its browser context) before giving up on it and rejecting anyway. Default 5000 ms.
   */
  abortGraceMs?: number;
}

export interface SkillRegistry {
  /** Every registered skill, in registration order. */
  list(): readonly AnySkill[];
  get(name: string): AnySkill | undefined;
  /** The distinct capabilities the skills provide, sorted: what a node should declare. */
  capabilities(): string[];
  /**
   * Validates `rawArgs` and runs the skill. Never rejects with anything but a GatewayError:
   * `GW_ERR_SKILL_NOT_FOUND`, `GW_ERR_SKILL_INVALID_ARGS` (details carry the failing path),
   * `GW_ERR_SKILL_DENIED`, `GW_ERR_SKILL_FAILED`, `GW_ERR_TASK_TIMEOUT` or `GW_ERR_TASK_CANCELLED`.
   * `ctx.timeoutMs` is enforced here, and a skill that ignores its signal is abandoned after the grace.
   */
  invoke(name: string, rawArgs: unknown, ctx: SkillContext): Promise<unknown>;
  toolDefinitions(): ToolDefinition[];
  /** Disposes every skill that holds resources; errors are logged nowhere and swallowed. */
  dispose(): Promise<void>;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REASON = 2000;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function invalidArgs(skill: string, error: z.ZodError): GatewayError {
  const issues = error.issues.slice(0, 10).map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = issues[0] ?? { path: '(root)', message: 'invalid' };
  return new GatewayError('GW_ERR_SKILL_INVALID_ARGS', {
    skill,
    path: first.path,
    reason: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    issues,
  });
}

/** Maps whatever a skill threw to the catalogue; an aborted run always reports the abort. */
function normalise(skill: string, err: unknown, signal: AbortSignal, timeoutMs?: number): GatewayError {
  if (signal.aborted) return abortErrorFrom(signal, timeoutMs);
  if (err instanceof GatewayError) return err;
  let reason: string;
  if (err instanceof Error) reason = err.message || err.name;
  else if (typeof err === 'string') reason = err;
  else reason = `threw ${JSON.stringify(err) ?? String(err)}`;
  if (isAbortError(err)) reason = `aborted internally: ${reason}`;
  if (reason.length > MAX_REASON) reason = `${reason.slice(0, MAX_REASON)}…`;
  return new GatewayError('GW_ERR_SKILL_FAILED', { skill, reason });
}

type Outcome = { kind: 'ok'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'abandoned' };

export function createSkillRegistry(
  skills: readonly AnySkill[],
  options: SkillRegistryOptions = {},
): SkillRegistry {
  const abortGraceMs = options.abortGraceMs ?? 5000;
  const byName = new Map<string, AnySkill>();
  for (const skill of skills) {
    if (!TOOL_NAME.test(skill.name)) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `skill name "${skill.name}" must match ${TOOL_NAME.source} (it is also an LLM tool name)`,
      });
    }
    if (byName.has(skill.name)) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `skill "${skill.name}" is registered twice`,
      });
    }
    byName.set(skill.name, skill);
  }
  const ordered = [...byName.values()];
  let tools: ToolDefinition[] | undefined;

  async function invoke(name: string, rawArgs: unknown, ctx: SkillContext): Promise<unknown> {
    const skill = byName.get(name);
    if (!skill) throw new GatewayError('GW_ERR_SKILL_NOT_FOUND', { skill: name });
    const parsed = skill.args.safeParse(rawArgs ?? {});
    if (!parsed.success) throw invalidArgs(name, parsed.error);
    const timeoutMs = ctx.timeoutMs !== undefined && ctx.timeoutMs > 0 ? ctx.timeoutMs : undefined;
    if (ctx.signal.aborted) throw abortErrorFrom(ctx.signal, timeoutMs);

    const { controller, unlink } = linkedController([ctx.signal]);
    const signal = controller.signal;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              controller.abort(
                new GatewayError('GW_ERR_TASK_TIMEOUT', { which: 'task', seconds: timeoutMs / 1000 }),
              ),
            timeoutMs,
          );
    const runCtx: SkillContext = {
      taskId: ctx.taskId,
      workspaceDir: ctx.workspaceDir,
      workDir: ctx.workDir,
      signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      progress: (message, data) => {
        // Progress after the run is over would describe a task that already ended.
        if (!signal.aborted) ctx.progress(message, data);
      },
      log: ctx.log,
    };
    // Promise.resolve().then turns a synchronous throw from run() into a rejection like any other.
    const running = Promise.resolve().then(() => skill.run(parsed.data, runCtx));
    let graceTimer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const outcome = await new Promise<Outcome>((resolve) => {
        running.then(
          (value) => resolve({ kind: 'ok', value }),
          (error: unknown) => resolve({ kind: 'error', error }),
        );
        onAbort = () => {
          graceTimer = setTimeout(() => resolve({ kind: 'abandoned' }), abortGraceMs);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      // Once the signal fired, the run's outcome is the abort, whatever the skill managed to return.
      if (signal.aborted) throw abortErrorFrom(signal, timeoutMs);
      if (outcome.kind === 'ok') return outcome.value;
      throw normalise(name, outcome.kind === 'error' ? outcome.error : undefined, signal, timeoutMs);
    } catch (err) {
      throw normalise(name, err, signal, timeoutMs);
    } finally {
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      unlink();
    }
  }

  return {
    list: () => ordered,
    get: (name) => byName.get(name),
    capabilities: () => [...new Set(ordered.map((s) => s.capability))].sort(),
    invoke,
    toolDefinitions() {
      tools ??= ordered.map((s) => ({
        type: 'function' as const,
        function: { name: s.name, description: s.description, parameters: toolParameters(s.args) },
      }));
      return tools.map((t) => ({ type: t.type, function: { ...t.function } }));
    },
    async dispose() {
      await Promise.allSettled(ordered.map((s) => s.dispose?.()));
    },
  };
}
