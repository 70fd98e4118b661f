/**
 * @module Unit tests of the cron engine over a temp SQLite store and a fake task sink, with an injected
 * clock: exactly-once claims, overlap and catch-up policies, crash recovery, DST and retention.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, CronRun } from '../protocol/index.js';
import type { CronStore } from '../store/index.js';
import { parseCronKey } from './cron-engine.js';
import { cronFixture, interfaceOnly, type Fixture } from './test-support/cron-fixture.js';

const T0 = '2026-01-01T00:00:00.500Z';
const slot = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000).toISOString();
const byStatus = (runs: CronRun[]) =>
  Object.fromEntries(
    [...runs].sort((a, b) => a.slot.localeCompare(b.slot)).map((r) => [r.slot.slice(11, 19), r.status]),
  );
const events = (f: Fixture, name: string) => f.log.records.filter((r) => r.event === name);

/** Moves the clock to `s` seconds after midnight plus `ms`, then ticks and waits for the enqueues. */
async function tickAt(
  f: Fixture,
  engine: { tick(): Promise<void>; settled(): Promise<void> },
  s: number,
  ms = 20,
) {
  f.clock.ms = Date.parse(slot(s)) + ms;
  await engine.tick();
  await engine.settled();
}

let f: Fixture;
beforeEach(() => {
  f = cronFixture(T0);
});
afterEach(async () => {
  await f.close();
});

describe('claims and enqueues', () => {
  test('each due slot is claimed once and enqueued with the key cron:<job>:<slot>', async () => {
    const job = await f.job({ name: 'a' });
    const { engine } = f.engine();
    await engine.start();
    assert.equal(f.table.tasks.size, 0, 'nothing is due at creation time');
    await tickAt(f, engine, 1, 20);
    const [run] = await f.runs(job.id);
    assert.equal(run!.status, 'enqueued');
    assert.equal(run!.slot, slot(1));
    assert.equal(run!.late_ms, 20);
    assert.equal(run!.fired_at, new Date(f.clock.ms).toISOString());
    const task = f.table.tasks.get(run!.task_id!)!;
    assert.equal(task.idempotency_key, `cron:${job.id}:${slot(1)}`);
    assert.deepEqual(parseCronKey(task.idempotency_key), { job_id: job.id, slot: slot(1) });
    assert.deepEqual(task.args, { message: 'a' });

    await engine.tick();
    await engine.settled();
    assert.equal(f.table.submits, 1, 'a second tick at the same moment fires nothing');
    await tickAt(f, engine, 4, 5);
    assert.equal((await f.runs(job.id)).length, 4, 'slots 2, 3 and 4 fire too (within the grace)');
    assert.equal(f.table.tasks.size, 4);
    assert.equal((await f.stores.cron.getJob(job.id))!.last_slot, slot(4));
    assert.equal(events(f, 'cron_fired').length, 4);
  });

  test('a disabled job never fires', async () => {
    const job = await f.job({ name: 'off', enabled: false });
    const { engine } = f.engine();
    await engine.start();
    await tickAt(f, engine, 5);
    assert.equal((await f.runs(job.id)).length, 0);
  });

  test('run-now fires at once even while a run is going (overlap skip)', async () => {
    const job = await f.job({ name: 'now', overlap: 'skip', schedule: '0 0 * * *' });
    const { engine } = f.engine();
    await engine.start();
    const first = await engine.fire(job, f.clock.ms);
    f.clock.advance(1000);
    const second = await engine.fire(job, f.clock.ms);
    assert.equal(first!.status, 'enqueued');
    assert.equal(second!.status, 'enqueued');
    assert.notEqual(first!.task_id, second!.task_id);
    assert.equal(f.table.active().length, 2);
    assert.equal(await engine.fire(job, f.clock.ms), null, 'the same instant cannot be claimed twice');
  });
});

for (const backend of ['native batch', 'row-by-row fallback'] as const) {
  const storeOf = (fx: Fixture): CronStore =>
    backend === 'native batch' ? fx.stores.cron : interfaceOnly(fx.stores.cron);

  describe(`overlap policies under a job slower than its interval (${backend})`, () => {
    test('skip: slots while the run is going are recorded skipped; the next free slot runs', async () => {
      const job = await f.job({ name: 'skip', overlap: 'skip' });
      const { engine } = f.engine({ store: storeOf(f) });
      await engine.start();
      await tickAt(f, engine, 1);
      await tickAt(f, engine, 2);
      await tickAt(f, engine, 3);
      assert.equal(f.table.tasks.size, 1, 'only the first slot started a task');
      const [first] = f.table.active();
      engine.taskEnded(f.table.end(first!.id, 'succeeded', f.clock.ms + 400));
      await engine.settled();
      await tickAt(f, engine, 4);
      assert.deepEqual(byStatus(await f.runs(job.id)), {
        '00:00:01': 'succeeded',
        '00:00:02': 'skipped',
        '00:00:03': 'skipped',
        '00:00:04': 'enqueued',
      });
      assert.equal(f.table.tasks.size, 2);
      assert.equal(events(f, 'cron_skipped').length, 2);
    });

    test('queue: slots wait and run one after another, oldest first, never two at once', async () => {
      const job = await f.job({ name: 'queue', overlap: 'queue' });
      const { engine } = f.engine({ store: storeOf(f) });
      await engine.start();
      for (const s of [1, 2, 3]) {
        await tickAt(f, engine, s);
        assert.equal(f.table.active().length, 1);
      }
      assert.deepEqual(byStatus(await f.runs(job.id)), {
        '00:00:01': 'enqueued',
        '00:00:02': 'pending',
        '00:00:03': 'pending',
      });
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        const active = f.table.active();
        assert.equal(active.length, 1, 'exactly one run at a time');
        order.push(parseCronKey(active[0]!.idempotency_key)!.slot);
        engine.taskEnded(f.table.end(active[0]!.id, 'succeeded', f.clock.ms));
        await engine.settled();
      }
      assert.deepEqual(order, [slot(1), slot(2), slot(3)]);
      assert.equal(f.table.active().length, 0);
      assert.deepEqual(Object.values(byStatus(await f.runs(job.id))), [
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
    });

    test('queue: an end reported twice starts only one waiting run', async () => {
      await f.job({ name: 'queue2', overlap: 'queue' });
      const { engine } = f.engine({ store: storeOf(f) });
      await engine.start();
      for (const s of [1, 2, 3]) await tickAt(f, engine, s);
      const ended = f.table.end(f.table.active()[0]!.id, 'failed', f.clock.ms, 'boom');
      engine.taskEnded(ended);
      engine.taskEnded(ended);
      await engine.settled();
      engine.taskEnded(ended);
      await engine.settled();
      assert.equal(f.table.active().length, 1);
      assert.equal(f.table.tasks.size, 2);
    });

    test('allow: runs overlap', async () => {
      const job = await f.job({ name: 'allow', overlap: 'allow' });
      const { engine } = f.engine({ store: storeOf(f) });
      await engine.start();
      await tickAt(f, engine, 1);
      await tickAt(f, engine, 2);
      assert.equal(f.table.active().length, 2);
      assert.deepEqual(byStatus(await f.runs(job.id)), { '00:00:01': 'enqueued', '00:00:02': 'enqueued' });
    });
  });

  describe(`crash recovery (${backend})`, () => {
    test('a crash between claim and enqueue recovers with one task, never two', async () => {
      const job = await f.job({ name: 'crash1' });
      const a = f.engine({ mode: 'hang-before-insert', store: storeOf(f) });
      await a.engine.start();
      f.clock.set('2026-01-01T00:00:01.010Z');
      await a.engine.tick(); // the claim is durable; the enqueue pass hangs: the process "died" here
      await new Promise((r) => setImmediate(r));
      assert.equal(a.sink.table.submits, 1);
      assert.equal((await f.stores.cron.getRun(job.id, slot(1)))!.status, 'claimed');
      assert.equal(f.table.tasks.size, 0);

      const b = f.engine({ store: storeOf(f) });
      f.clock.set('2026-01-01T00:00:01.900Z');
      await b.engine.start();
      await b.engine.settled();
      const run = (await f.stores.cron.getRun(job.id, slot(1)))!;
      assert.equal(run.status, 'enqueued');
      assert.equal(f.table.tasks.size, 1);
      assert.equal(f.table.tasks.get(run.task_id!)!.idempotency_key, `cron:${job.id}:${slot(1)}`);
    });

    test('a crash after the task was stored but before the run was updated reuses that task', async () => {
      const job = await f.job({ name: 'crash2' });
      const a = f.engine({ mode: 'hang-after-insert', store: storeOf(f) });
      await a.engine.start();
      f.clock.set('2026-01-01T00:00:01.010Z');
      await a.engine.tick();
      await new Promise((r) => setImmediate(r));
      assert.equal(f.table.tasks.size, 1);
      const stored = [...f.table.tasks.values()][0]!;

      const b = f.engine({ store: storeOf(f) });
      await b.engine.start();
      await b.engine.settled();
      assert.equal(f.table.submits, 2, 'the slot was submitted again...');
      assert.equal(f.table.tasks.size, 1, '...and the idempotency key returned the same task');
      assert.equal((await f.stores.cron.getRun(job.id, slot(1)))!.task_id, stored.id);

      // The task ends while no engine listens; the next start records it.
      f.table.end(stored.id, 'succeeded', f.clock.ms + 100);
      const c = f.engine({ store: storeOf(f) });
      await c.engine.start();
      await c.engine.settled();
      const run = (await f.stores.cron.getRun(job.id, slot(1)))!;
      assert.equal(run.status, 'succeeded');
      assert.equal(run.duration_ms, 0);
      assert.equal(f.table.tasks.size, 1);
    });

    test('a retryable enqueue failure keeps the claim and the next tick enqueues it once', async () => {
      const job = await f.job({ name: 'retry' });
      const { engine, sink } = f.engine({ mode: 'fail-retryable', store: storeOf(f) });
      await engine.start();
      await tickAt(f, engine, 1);
      assert.equal((await f.stores.cron.getRun(job.id, slot(1)))!.status, 'claimed');
      assert.equal(events(f, 'cron_enqueue_retry').length, 1);
      sink.mode = 'ok';
      await tickAt(f, engine, 1, 600);
      assert.equal((await f.stores.cron.getRun(job.id, slot(1)))!.status, 'enqueued');
      assert.equal(f.table.tasks.size, 1);
    });

    test('a permanent enqueue failure records the run failed with the reason, and is not retried', async () => {
      const job = await f.job({ name: 'perm' });
      const { engine } = f.engine({ mode: 'fail-permanent', store: storeOf(f) });
      await engine.start();
      await tickAt(f, engine, 1);
      await tickAt(f, engine, 1, 500);
      const run = (await f.stores.cron.getRun(job.id, slot(1)))!;
      assert.equal(run.status, 'failed');
      assert.match(run.error!, /skill nope is not installed/);
      assert.equal(f.table.submits, 1);
      assert.equal(events(f, 'cron_enqueue_failed').length, 1);
    });
  });
}

describe('catch-up after downtime (injected clock)', () => {
  /** A minutely job fired at 00:00, then the gateway is down until `resumeAt`. */
  async function downtime(over: Partial<CronJob>, resumeAt: string) {
    f.clock.set('2025-12-31T23:59:30.000Z');
    const job = await f.job({
      name: `down-${over.catchup}-${over.catchup_max ?? ''}`,
      schedule: '* * * * *',
      ...over,
    });
    const a = f.engine();
    await a.engine.start();
    f.clock.set('2026-01-01T00:00:00.050Z');
    await a.engine.tick();
    await a.engine.settled();
    await a.engine.stop();
    f.clock.set(resumeAt);
    const misses: number[] = [];
    const b = f.engine({ onMiss: (_j, n) => misses.push(n) });
    await b.engine.start();
    await b.engine.settled();
    const runs = [...(await f.runs(job.id))].sort((x, y) => x.slot.localeCompare(y.slot));
    const fired = runs.filter((r) => r.status === 'enqueued').map((r) => r.slot.slice(11, 16));
    const missed = runs.filter((r) => r.status === 'missed').map((r) => r.slot.slice(11, 16));
    return { fired, missed, misses, runs };
  }

  test('skip: every slot of the downtime is recorded missed, none fires', async () => {
    const r = await downtime({ catchup: 'skip' }, '2026-01-01T00:10:30.000Z');
    assert.deepEqual(r.fired, ['00:00']);
    assert.equal(r.missed.length, 10);
    assert.deepEqual(r.misses, [10]);
    const line = events(f, 'cron_missed')[0]!;
    assert.equal(line.count, 10);
    assert.equal(line.policy, 'skip');
    assert.equal(line.first, '2026-01-01T00:01:00.000Z');
  });

  test('latest: only the newest missed slot runs, once', async () => {
    const r = await downtime({ catchup: 'latest' }, '2026-01-01T00:10:30.000Z');
    assert.deepEqual(r.fired, ['00:00', '00:10']);
    assert.deepEqual(r.missed, [
      '00:01',
      '00:02',
      '00:03',
      '00:04',
      '00:05',
      '00:06',
      '00:07',
      '00:08',
      '00:09',
    ]);
    assert.equal(f.table.tasks.size, 2);
  });

  test('all with catchup_max 3: the newest three run, the rest are missed', async () => {
    const r = await downtime({ catchup: 'all', catchup_max: 3 }, '2026-01-01T00:10:30.000Z');
    assert.deepEqual(r.fired, ['00:00', '00:08', '00:09', '00:10']);
    assert.equal(r.missed.length, 7);
  });

  test('all within the cap: every slot runs, none missed', async () => {
    const r = await downtime({ catchup: 'all', catchup_max: 100 }, '2026-01-01T00:10:30.000Z');
    assert.equal(r.fired.length, 11);
    assert.equal(r.missed.length, 0);
    assert.equal(f.table.tasks.size, 11);
  });

  test('a slot within the misfire grace fires on time whatever the policy', async () => {
    const r = await downtime({ catchup: 'skip' }, '2026-01-01T00:10:05.000Z');
    assert.deepEqual(r.fired, ['00:00', '00:10']);
    assert.equal(r.missed.length, 9);
    assert.equal(r.runs.find((x) => x.slot.endsWith('00:10:00.000Z'))!.late_ms, 5000);
  });

  test('a downtime longer than one tick looks at is worked off over ticks: latest still fires once', async () => {
    f.clock.set('2026-01-01T00:00:00.100Z');
    const job = await f.job({ name: 'long', catchup: 'latest' });
    const { engine } = f.engine({ maxSlotsPerTick: 50, misfireGraceMs: 0 });
    await engine.start();
    f.clock.set('2026-01-01T00:02:00.500Z'); // 120 per-second slots due
    for (let i = 0; i < 3; i++) await engine.tick();
    await engine.settled();
    const runs = await f.runs(job.id);
    const fired = runs.filter((r) => r.status === 'enqueued');
    assert.deepEqual(
      fired.map((r) => r.slot),
      ['2026-01-01T00:02:00.000Z'],
    );
    assert.equal(runs.filter((r) => r.status === 'missed').length, 119);
    assert.equal(f.table.tasks.size, 1);
  });
});

describe('DST in Europe/Berlin through the engine', () => {
  for (const [label, from, to] of [
    ['spring gap', '2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z'],
    ['fall repeat', '2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z'],
  ] as const) {
    test(`a daily 02:30 job fires once per local day across the ${label}`, async () => {
      f.clock.set(from);
      const job = await f.job({ name: `dst-${label}`, schedule: '30 2 * * *', timezone: 'Europe/Berlin' });
      const { engine } = f.engine({ misfireGraceMs: 3_600_000 });
      await engine.start();
      // Tick every 10 minutes of simulated time through the four days.
      for (let t = Date.parse(from); t <= Date.parse(to); t += 600_000) {
        f.clock.ms = t;
        await engine.tick();
      }
      await engine.settled();
      const runs = await f.runs(job.id);
      const days = runs.map((r) =>
        new Date(r.slot).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' }),
      );
      assert.equal(runs.length, 4, `runs: ${runs.map((r) => r.slot).join(', ')}`);
      assert.equal(new Set(days).size, 4, 'one per local day');
      assert.equal(f.table.tasks.size, 4);
      assert.ok(runs.every((r) => r.status === 'enqueued'));
    });
  }
});

describe('run history retention', () => {
  test('keeps the newest keepRuns ended runs per job', async () => {
    const job = await f.job({ name: 'keep' });
    const { engine } = f.engine({ keepRuns: 5, pruneIntervalMs: 0 });
    await engine.start();
    for (let s = 1; s <= 12; s++) {
      await tickAt(f, engine, s);
      for (const t of f.table.active()) engine.taskEnded(f.table.end(t.id, 'succeeded', f.clock.ms));
      await engine.settled();
    }
    await tickAt(f, engine, 12, 900);
    const runs = await f.runs(job.id);
    assert.equal(runs.length, 5);
    assert.deepEqual(
      runs.map((r) => r.slot),
      [12, 11, 10, 9, 8].map(slot),
    );
  });
});
