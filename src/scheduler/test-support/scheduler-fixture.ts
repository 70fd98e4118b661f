/**
 * @module Test support for the scheduler's unit tests: a scheduler over a real SQLite store in a temp
 * dir, with a clock the test moves, and fake nodes that record what they are sent.
 */
import { afterEach, beforeEach } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, openSqliteDatabase, type Stores } from '../../store/index.js';
import { createMemoryLogger } from '../../observability/index.js';
import type { Task } from '../../protocol/index.js';
import { Scheduler, type SchedulerOptions } from '../scheduler.js';
import type { NodeHandle } from '../node-pool.js';

export interface FakeNode extends NodeHandle {
  sent: Array<{ event: string; payload: any }>;
  closed: number | null;
}

export function fakeNode(id: string, capabilities: string[], concurrency = 1, tags: string[] = []): FakeNode {
  const n: FakeNode = {
    id,
    capabilities,
    tags,
    concurrency,
    connectedAt: new Date(),
    local: false,
    sent: [],
    closed: null,
    send: (event, payload) => n.sent.push({ event, payload }),
    close: (code) => {
      n.closed = code;
    },
  };
  return n;
}

/** The tasks a fake node was sent, in order. */
export const assigned = (n: FakeNode) =>
  n.sent.filter((m) => m.event === 'task.assigned').map((m) => m.payload.task as Task);

export async function until(pred: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the scheduler's timeout and lease sweep now (tests move the clock instead of waiting). */
export const sweep = (sch: Scheduler) => (sch as unknown as { sweep(): Promise<void> }).sweep();

export interface SchedulerFixture {
  stores: Stores;
  /** The scheduler's clock, epoch ms; tests move it. */
  clock: number;
  /** Started before each test, stopped after it. */
  s: Scheduler;
  /** Another scheduler over the same store and clock (it is not started or stopped for the test). */
  make(over?: Partial<SchedulerOptions>): Scheduler;
}

/** Call inside a `describe`: a fresh store, clock and started scheduler for each test. */
export function useScheduler(): SchedulerFixture {
  let dir = '';
  const f: SchedulerFixture = {
    stores: undefined as unknown as Stores,
    clock: 0,
    s: undefined as unknown as Scheduler,
    make: (over = {}) =>
      new Scheduler({
        tasks: f.stores.tasks,
        logger: createMemoryLogger().logger,
        defaultTimeout: 0,
        queueTimeout: 0,
        longTaskWarning: 0,
        lease: 2,
        maxAttempts: 2,
        now: () => f.clock,
        sweepIntervalMs: 3_600_000, // tests call sweep through the clock instead
        ...over,
      }),
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sched-test-'));
    f.stores = createSqliteStores(openSqliteDatabase({ dataDir: dir, synchronous: 'normal' }));
    f.clock = Date.now();
    f.s = f.make();
    await f.s.start();
  });
  afterEach(async () => {
    await f.s.stop();
    await f.stores.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return f;
}
