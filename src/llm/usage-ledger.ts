/** @module Token usage counted per provider, model, workspace and task, for answers, logs and the Web UI. */
import type { Usage } from './chat-types.js';

export interface UsageTotals extends Usage {
  requests: number;
}

export interface UsageSnapshot {
  providers: Record<string, UsageTotals>;
  /** Keyed `provider/model`. */
  models: Record<string, UsageTotals>;
  workspaces: Record<string, UsageTotals>;
  tasks: Record<string, UsageTotals>;
}

export interface UsageKeys {
  provider: string;
  model: string;
  workspace?: string;
  taskId?: string;
}

function zero(): UsageTotals {
  return { requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

function add(map: Map<string, UsageTotals>, key: string, usage: Usage): void {
  let t = map.get(key);
  if (!t) {
    t = zero();
    map.set(key, t);
  }
  t.requests++;
  t.prompt_tokens += usage.prompt_tokens;
  t.completion_tokens += usage.completion_tokens;
  t.total_tokens += usage.total_tokens;
}

/** Options of `UsageLedger`. */
export interface UsageLedgerOptions {
  /** Tasks remembered; the oldest are forgotten first, so a long-lived gateway does not grow. Default 10000. */
  maxTasks?: number;
  /** Workspaces remembered, same policy. Default 10000. */
  maxWorkspaces?: number;
}

export class UsageLedger {
  private readonly providers = new Map<string, UsageTotals>();
  private readonly models = new Map<string, UsageTotals>();
  private readonly workspaces = new Map<string, UsageTotals>();
  private readonly tasks = new Map<string, UsageTotals>();
  private readonly maxTasks: number;
  private readonly maxWorkspaces: number;

  constructor(options: UsageLedgerOptions = {}) {
    this.maxTasks = options.maxTasks ?? 10_000;
    this.maxWorkspaces = options.maxWorkspaces ?? 10_000;
  }

  record(keys: UsageKeys, usage: Usage): void {
    add(this.providers, keys.provider, usage);
    add(this.models, `${keys.provider}/${keys.model}`, usage);
    if (keys.workspace) this.bounded(this.workspaces, keys.workspace, usage, this.maxWorkspaces);
    if (keys.taskId) this.bounded(this.tasks, keys.taskId, usage, this.maxTasks);
  }

  private bounded(map: Map<string, UsageTotals>, key: string, usage: Usage, max: number): void {
    const existing = map.get(key);
    if (existing) {
      // Re-insert so the map's order is least recently used first.
      map.delete(key);
      map.set(key, existing);
    }
    add(map, key, usage);
    while (map.size > max) map.delete(map.keys().next().value as string);
  }

  task(taskId: string): UsageTotals | undefined {
    const t = this.tasks.get(taskId);
    return t ? { ...t } : undefined;
  }

  workspace(id: string): UsageTotals | undefined {
    const t = this.workspaces.get(id);
    return t ? { ...t } : undefined;
  }

  snapshot(): UsageSnapshot {
    const copy = (m: Map<string, UsageTotals>) => Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));
    return {
      providers: copy(this.providers),
      models: copy(this.models),
      workspaces: copy(this.workspaces),
      tasks: copy(this.tasks),
    };
  }
}
