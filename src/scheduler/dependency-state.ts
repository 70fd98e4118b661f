/** @module Where a task stands on its dependencies: the one rule used at submit and on each end. */
import { isTerminal, type Task } from '../protocol/index.js';

export type DependencyState = { kind: 'failed'; dep: Task } | { kind: 'ready' } | { kind: 'waiting' };

/** A dependency that ended other than succeeded fails the task; when all succeeded it may run. */
export function dependencyState(deps: ReadonlyArray<Task | null>): DependencyState {
  const failed = deps.find((d) => d !== null && isTerminal(d.status) && d.status !== 'succeeded');
  if (failed) return { kind: 'failed', dep: failed };
  return deps.every((d) => d?.status === 'succeeded') ? { kind: 'ready' } : { kind: 'waiting' };
}
