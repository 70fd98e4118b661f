/** @module The plugin contract every skill implements, and the context a run receives. */
import type { ZodType } from 'zod';

/** Where a skill writes its diagnostics; the node runtime binds it to the task's log stream. */
export interface SkillLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** Everything one run of a skill may rely on. Built by the node runtime (see `createSkillContext`). */
export interface SkillContext {
  /** Id of the task the run belongs to. */
  readonly taskId: string;
  /** Absolute path of the workspace root; the file skill confines every path to it. */
  readonly workspaceDir: string;
  /** Absolute path of a directory inside `workspaceDir` that belongs to this task alone. */
  readonly workDir: string;
  /**
   * Fires on cancellation or timeout. Its `reason` says which: a `GatewayError`
   * (`GW_ERR_TASK_TIMEOUT` / `GW_ERR_TASK_CANCELLED`) is used as is, a DOM `TimeoutError` means timeout,
   * anything else means cancellation.
   */
  readonly signal: AbortSignal;
  /** The task's own time limit, if any; `invoke` enforces it, skills may read it to size their work. */
  readonly timeoutMs?: number;
  /** Reports progress to whoever follows the task (becomes a `task.progress` request). */
  progress(message: string, data?: Record<string, unknown>): void;
  readonly log: SkillLog;
}

/**
 * A capability the node runtime can run, both as a direct task call (`skill` + `args`) and as an LLM
 * tool. `args` is the single source of the skill's input contract: it validates calls and generates
 * the tool's JSON Schema.
 */
export interface Skill<A = unknown> {
  /** Unique within a registry; also the LLM tool name, so `^[A-Za-z0-9_-]{1,64}$`. */
  readonly name: string;
  /** Tells the LLM when and how to use the skill. */
  readonly description: string;
  /** The node capability this skill provides (`shell`, `file`, `browser`, `echo`, ...). */
  readonly capability: string;
  readonly args: ZodType<A>;
  /** Resolves with a JSON-serialisable result; throws a `GatewayError` (or anything, normalised by `invoke`). */
  run(args: A, ctx: SkillContext): Promise<unknown>;
  /**
   * Judges the result of a direct task call (`skill` + `args`): throws a `GatewayError` when the result
   * means the task failed, such as a shell command that exited non-zero, so channels report a failure
   * (`openclaw task run` exits 1, dependents do not run). LLM tool calls skip it, since the model reads
   * the result itself. Default: every result the skill returns is a success.
   */
  taskOutcome?(result: unknown): void;
  /** Releases long-lived resources (browsers, pools). Called by the registry's `dispose()`. */
  dispose?(): Promise<void>;
}

/** A skill whose argument type has been erased, as held by a registry. */
export type AnySkill = Skill<any>;

/** Identity helper that lets TypeScript infer `A` from the zod schema when writing a plugin. */
export function defineSkill<A>(skill: Skill<A>): Skill<A> {
  return skill;
}

/** A log that drops everything, for callers that have nowhere to send skill diagnostics. */
export const silentLog: SkillLog = {
  info() {},
  warn() {},
  error() {},
};
