/** @module Building the SkillContext of one task run, with its own directory inside the workspace. */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { silentLog, type SkillContext, type SkillLog } from './skill.js';

/** Options of `createSkillContext`. */
export interface CreateSkillContextOptions {
  taskId: string;
  /** Workspace root; made absolute and created if missing. */
  workspaceDir: string;
  /** The task's own directory. Default `<workspaceDir>/.tasks/<taskId>` (id made filesystem-safe). */
  workDir?: string;
  /** Cancellation from the runtime. Default: a signal that never fires. */
  signal?: AbortSignal;
  /** The task's time limit, enforced by `SkillRegistry.invoke`. Default: none. */
  timeoutMs?: number;
  /** Default: progress is dropped. */
  progress?: (message: string, data?: Record<string, unknown>) => void;
  /** Default: `silentLog`. */
  log?: SkillLog;
}

/** Task ids come from the wire; anything outside a safe alphabet is replaced so it stays one path segment. */
export function taskDirName(taskId: string): string {
  const safe = taskId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return safe === '' || /^\.+$/.test(safe) ? `_${safe}` : safe;
}

/** Workspace directories this process has already created; a task does not pay a mkdir for each. */
const createdWorkspaces = new Set<string>();

/**
 * Creates the workspace directory (once per process) and returns the context to pass to `invoke`.
 * Separate task directories keep concurrent tasks on one node from sharing working files (SPEC R5.2);
 * the skills that work in theirs (shell, browser) create it on first use, so a task that never
 * touches the disk (echo, an LLM-only step) neither leaves an empty directory behind nor pays for one.
 */
export async function createSkillContext(options: CreateSkillContextOptions): Promise<SkillContext> {
  const workspaceDir = resolve(options.workspaceDir);
  const workDir = resolve(options.workDir ?? join(workspaceDir, '.tasks', taskDirName(options.taskId)));
  if (!createdWorkspaces.has(workspaceDir)) {
    await mkdir(workspaceDir, { recursive: true });
    createdWorkspaces.add(workspaceDir);
  }
  const progress = options.progress ?? (() => {});
  return {
    taskId: options.taskId,
    workspaceDir,
    workDir,
    signal: options.signal ?? new AbortController().signal,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    progress,
    log: options.log ?? silentLog,
  };
}
