/** @module The error bodies a task can end with, built in one place so their wording and details agree. */
import type { ErrorBody, Task, TaskStatus } from '../protocol/index.js';

export function dependencyFailed(depId: string, status: TaskStatus): ErrorBody {
  return {
    code: 'GW_ERR_TASK_DEPENDENCY_FAILED',
    message: `dependency ${depId} ended ${status}`,
    retryable: false,
    details: { id: depId, status },
  };
}

export function executionTimeout(seconds: number): ErrorBody {
  return {
    code: 'GW_ERR_TASK_TIMEOUT',
    message: `task exceeded its execution timeout of ${seconds} s`,
    retryable: true,
    details: { which: 'execution', seconds },
  };
}

/** `capable`: whether any connected node could run the task at all, which decides the reason given. */
export function queueTimeout(seconds: number, task: Task, capable: boolean): ErrorBody {
  const tags = task.tags ?? [];
  // Name the tags too: "no node offers [echo]" would be wrong when echo is offered but a tag is not.
  const wanted = `[${task.capabilities.join(', ')}]${tags.length ? ` with tags [${tags.join(', ')}]` : ''}`;
  return {
    code: 'GW_ERR_TASK_TIMEOUT',
    message: `task was not started within its queue timeout of ${seconds} s: ${
      capable ? 'every capable node stayed busy' : `no connected node offers ${wanted}`
    }`,
    retryable: true,
    details: { which: 'queue', seconds, capabilities: task.capabilities, ...(tags.length ? { tags } : {}) },
  };
}

export function nodeLost(
  nodeId: string | null,
  why: string,
  maxAttempts: number,
  attempt: number,
): ErrorBody {
  return {
    code: 'GW_ERR_TASK_NODE_LOST',
    message: `node ${nodeId} was lost (${why}) and the retry limit (${maxAttempts}) is reached`,
    retryable: true,
    details: { node_id: nodeId, attempt },
  };
}
