/**
 * @module Integration: a real gateway running two every-second cron jobs is killed with SIGKILL at
 * random moments about 30 times and restarted on the same HOME. Afterwards every slot of the window
 * fired exactly once (one task, found by its idempotency key) or was recorded missed by its catch-up
 * policy; no slot has two tasks and none is lost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayClient } from '../../../src/client/index.js';
import type { CronJob, CronRun, Task } from '../../../src/protocol/index.js';
import { listAll, startTestGateway, type TestGateway } from '../../support/scheduler-harness.js';

const KILLS = Number(process.env.OPENCLAW_CRON_KILLS ?? 30);
/** The one long outage: longer than the 10 s misfire grace, so the catch-up policies decide. */
const LONG_OUTAGE_AT = Math.floor(KILLS / 2);
const LONG_OUTAGE_MS = 15_000;
const FIRED = new Set(['enqueued', 'succeeded', 'failed', 'cancelled', 'timed_out']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

interface Tally {
  job: string;
  slots: number;
  fired: number;
  missed: number;
  duplicates: number;
  lost: string[];
  problems: string[];
}

function audit(job: CronJob, runs: CronRun[], tasks: Task[], from: number, to: number): Tally {
  const runBySlot = new Map(runs.map((r) => [Date.parse(r.slot), r]));
  const tasksBySlot = new Map<number, Task[]>();
  const problems: string[] = [];
  const prefix = `cron:${job.id}:`;
  for (const t of tasks) {
    if (!t.idempotency_key?.startsWith(prefix)) continue;
    const slot = Date.parse(t.idempotency_key.slice(prefix.length));
    if (!Number.isFinite(slot) || slot % 1000 !== 0)
      problems.push(`task ${t.id} has key ${t.idempotency_key}`);
    tasksBySlot.set(slot, [...(tasksBySlot.get(slot) ?? []), t]);
  }
  const tally: Tally = { job: job.name, slots: 0, fired: 0, missed: 0, duplicates: 0, lost: [], problems };
  for (let s = from; s <= to; s += 1000) {
    tally.slots++;
    const run = runBySlot.get(s);
    const ts = tasksBySlot.get(s) ?? [];
    if (ts.length > 1) tally.duplicates += ts.length - 1;
    const at = new Date(s).toISOString();
    if (!run) {
      tally.lost.push(at);
      continue;
    }
    if (run.status === 'missed') {
      tally.missed++;
      if (ts.length > 0) problems.push(`${at} is recorded missed but has task ${ts[0]!.id}`);
    } else if (FIRED.has(run.status)) {
      tally.fired++;
      if (ts.length === 0) problems.push(`${at} is ${run.status} but no task has its key`);
      else if (run.task_id !== ts[0]!.id)
        problems.push(`${at}: run names ${run.task_id}, key gives ${ts[0]!.id}`);
    } else problems.push(`${at} is still ${run.status}`);
  }
  return tally;
}

describe('cron fires each slot exactly once across SIGKILLs', () => {
  let g: TestGateway;
  let c: GatewayClient;

  before(async () => {
    g = await startTestGateway({
      gateway: { local_node: { capabilities: ['echo'], concurrency: 64 } },
      cron: [
        {
          name: 'every-second-all',
          schedule: '* * * * * *',
          skill: 'echo',
          args: { message: 'all' },
          overlap: 'allow',
          catchup: 'all',
          catchup_max: 3,
        },
        {
          name: 'every-second-latest',
          schedule: '* * * * * *',
          skill: 'echo',
          args: { message: 'latest' },
          overlap: 'allow',
          catchup: 'latest',
        },
      ],
    });
  });
  after(async () => {
    await c?.close().catch(() => undefined);
    await g?.close();
  });

  test(`every slot fired once or was missed by policy, zero duplicates, over ${KILLS} kill -9`, async (t) => {
    const started = Date.now();
    let longOutageEnd = 0;
    for (let i = 0; i < KILLS; i++) {
      // Random moments relative to the second boundaries: some kills land between claim and enqueue.
      await sleep(rand(200, 2600));
      const res = await g.gw.stop('SIGKILL');
      assert.equal(res.signal, 'SIGKILL');
      await sleep(i === LONG_OUTAGE_AT ? LONG_OUTAGE_MS : rand(0, 900));
      await g.restart();
      if (i === LONG_OUTAGE_AT) longOutageEnd = Date.now();
    }
    await sleep(3000);
    c = await g.operator();
    const { jobs } = (await c.request('cron.list', {})) as { jobs: CronJob[] };
    assert.equal(jobs.length, 2);
    const tasks = (await listAll(c)).filter((x) => x.source === 'cron');
    const tallies: Tally[] = [];
    for (const job of jobs) {
      const { runs } = (await c.request('cron.runs', { id: job.id, limit: 1000 })) as { runs: CronRun[] };
      // The window: the first slot after the job was created, up to 2 s before its newest slot, so a
      // slot still being enqueued at this moment is not counted.
      const from = Math.floor(Date.parse(job.created_at) / 1000) * 1000 + 1000;
      const to = Date.parse(job.last_slot!) - 2000;
      assert.ok(to - from > 60_000, `a window of minutes, got ${(to - from) / 1000} s`);
      assert.ok(runs.length >= (to - from) / 1000, 'the run history covers the window');
      tallies.push(audit(job, runs, tasks, from, to));
    }
    for (const x of tallies) {
      t.diagnostic(
        `${x.job}: slots ${x.slots}, fired ${x.fired}, missed ${x.missed}, duplicates ${x.duplicates}, ` +
          `lost ${x.lost.length}`,
      );
    }
    t.diagnostic(
      `${KILLS} SIGKILLs in ${((Date.now() - started) / 1000).toFixed(0)} s; ${tasks.length} cron tasks in the store`,
    );
    for (const x of tallies) {
      assert.equal(x.duplicates, 0, `${x.job}: a slot has more than one task`);
      assert.deepEqual(x.lost, [], `${x.job}: slots with no record at all`);
      assert.deepEqual(x.problems, [], `${x.job}: inconsistent records`);
      assert.equal(x.fired + x.missed, x.slots);
    }
    const all = tallies.find((x) => x.job === 'every-second-all')!;
    const latest = tallies.find((x) => x.job === 'every-second-latest')!;
    // Short outages stay within the grace and fire everything; the long one makes the policies decide:
    // "all" runs the newest 3 late slots, "latest" only 1, so it misses 2 more.
    assert.ok(longOutageEnd > 0);
    assert.ok(all.missed > 0, 'the long outage left slots beyond catchup_max');
    assert.ok(latest.missed >= all.missed + 2, `latest missed ${latest.missed}, all missed ${all.missed}`);
    assert.ok(all.fired > all.missed);
  });
});
