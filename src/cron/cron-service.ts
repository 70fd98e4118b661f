/** @module Plugs cron into a gateway: jobs from config, methods, REST routes, and the firing engine. */
import { randomBytes } from 'node:crypto';
import {
  GatewayError,
  CronAddParamsSchema,
  type CronJob,
  type Task,
  type TaskSubmitParams,
} from '../protocol/index.js';
import type { z } from 'zod';
import type { GatewayContext, GatewayService, ServiceFactory } from '../gateway/index.js';
import { CronConfigJobSchema } from '../config/index.js';
import type { CronStore } from '../store/index.js';
import { CronEngine, type CronTaskSink } from './cron-engine.js';
import { CronSchedule } from './cron-expression.js';
import { timeoutWarnings } from './timeout-alignment.js';

type AddParams = z.infer<typeof CronAddParamsSchema>;

interface SchedulerLike extends CronTaskSink {
  on(event: 'task:end', listener: (t: Task) => void): unknown;
}

export function newJob(p: AddParams, source: 'api' | 'config', now = Date.now()): CronJob {
  const timezone = p.timezone ?? 'UTC';
  new CronSchedule(p.schedule, timezone); // validates, with a clear GW_ERR_CRON_INVALID
  if (p.skill === undefined && p.task === undefined)
    throw new GatewayError('GW_ERR_CRON_INVALID', { reason: 'task or skill is required' });
  return {
    id: `cron-${now.toString(36)}${randomBytes(3).toString('hex')}`,
    name: p.name,
    schedule: p.schedule,
    timezone,
    template: {
      ...(p.task !== undefined ? { task: p.task } : {}),
      ...(p.skill !== undefined ? { skill: p.skill, args: p.args ?? {} } : {}),
      ...(p.workspace ? { workspace: p.workspace } : {}),
      ...(p.timeout !== undefined ? { timeout: p.timeout } : {}),
      ...(p.priority ? { priority: p.priority } : {}),
      ...(p.capabilities ? { capabilities: p.capabilities } : {}),
    },
    overlap: p.overlap ?? 'skip',
    catchup: p.catchup ?? 'latest',
    catchup_max: p.catchup_max ?? 100,
    enabled: p.enabled ?? true,
    source,
    created_at: new Date(now).toISOString(),
    last_slot: null,
  };
}

export function cronService(): ServiceFactory {
  return async (ctx: GatewayContext): Promise<GatewayService> => {
    const scheduler = ctx.shared.get('scheduler') as SchedulerLike | undefined;
    if (!scheduler) throw new Error('cronService needs schedulerService to start first');
    const store: CronStore = ctx.stores.cron;
    const log = ctx.logger.child({ component: 'cron' });
    const engine = new CronEngine({
      store,
      tasks: { submit: (p: TaskSubmitParams) => scheduler.submit(p, 'cron'), get: (id) => scheduler.get(id) },
      logger: log,
      onFire: () => ctx.metrics.cronFires.inc(),
      onMiss: (_job, n) => ctx.metrics.cronMissed.inc(n),
    });
    scheduler.on('task:end', (t) => engine.taskEnded(t));

    // config.yaml `cron:` is the truth for jobs it names; jobs added by API are left alone.
    const configured = ctx.config.cron.map((raw, i) => {
      const res = CronConfigJobSchema.safeParse(raw);
      if (!res.success) {
        const issue = res.error.issues[0]!;
        throw new GatewayError(
          'GW_ERR_CONFIG_INVALID',
          {},
          `invalid config: cron.${i}.${issue.path.join('.')}: ${issue.message}`,
        );
      }
      return res.data;
    });
    const existing = await store.listJobs();
    const byName = new Map(existing.map((j) => [j.name, j]));
    for (const c of configured) {
      const prior = byName.get(c.name);
      const fresh = newJob(c, 'config');
      const job = prior
        ? { ...fresh, id: prior.id, created_at: prior.created_at, last_slot: prior.last_slot }
        : fresh;
      // Unchanged jobs are not written again: a restart with 1,000 configured jobs costs no commits.
      if (!prior || JSON.stringify(prior) !== JSON.stringify(job)) await store.upsertJob(job);
    }
    const names = new Set(configured.map((c) => c.name));
    for (const j of existing) {
      if (j.source === 'config' && !names.has(j.name)) await store.removeJob(j.id);
    }
    const jobs = await store.listJobs();
    for (const w of timeoutWarnings(ctx.config, jobs))
      log.warn({ event: 'cron_timeout_misaligned', ...w }, w.message);

    const withNext = (j: CronJob): CronJob => ({ ...j, next_slot: nextIso(j) });
    const nextIso = (j: CronJob) => {
      const n = engine.schedule(j).next(Date.now());
      return n === null ? null : new Date(n).toISOString();
    };
    const find = async (idOrName: string) => {
      const j = await store.getJob(idOrName);
      if (!j) throw new GatewayError('GW_ERR_CRON_NOT_FOUND', { id: idOrName });
      return j;
    };
    const add = async (p: AddParams) => {
      if (await store.getJob(p.name))
        throw new GatewayError('GW_ERR_CRON_INVALID', { reason: `a job named ${p.name} exists already` });
      const job = await store.upsertJob(newJob(p, 'api'));
      for (const w of timeoutWarnings(ctx.config, [job]))
        log.warn({ event: 'cron_timeout_misaligned', ...w }, w.message);
      engine.poke();
      log.info(
        { event: 'cron_added', job: job.name, schedule: job.schedule, timezone: job.timezone },
        'cron job added',
      );
      return withNext(job);
    };
    const remove = async (id: string) => {
      const j = await find(id);
      await store.removeJob(j.id);
      engine.poke();
      return { removed: true, id: j.id };
    };
    const runNow = async (id: string) => {
      const j = await find(id);
      return engine.fire(j, Date.now());
    };
    const r = ctx.server.router;
    r.register('cron.add', (p) => add(p));
    r.register('cron.list', async () => ({ jobs: (await store.listJobs()).map(withNext) }));
    r.register('cron.remove', (p) => remove(p.id));
    r.register('cron.runs', async (p) => {
      const j = await find(p.id);
      return { id: j.id, runs: await store.listRuns(j.id, p.limit ?? 50) };
    });
    r.register('cron.run', (p) => runNow(p.id));

    const ops = ['operator', 'admin'] as const;
    const rest = ctx.server.rest;
    rest.route('GET', '/api/cron', ops, async () => ({
      status: 200,
      body: { jobs: (await store.listJobs()).map(withNext) },
    }));
    rest.route('POST', '/api/cron', ops, async (req) => {
      const res = CronAddParamsSchema.safeParse(req.body ?? {});
      if (!res.success) {
        const issue = res.error.issues[0]!;
        const path = issue.path.join('.');
        throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
          reason: `${path || 'body'}: ${issue.message}`,
          path,
        });
      }
      return { status: 201, body: await add(res.data) };
    });
    rest.route('GET', '/api/cron/:id', ops, async (req) => ({
      status: 200,
      body: withNext(await find(req.params.id!)),
    }));
    rest.route('DELETE', '/api/cron/:id', ops, async (req) => ({
      status: 200,
      body: await remove(req.params.id!),
    }));
    rest.route('GET', '/api/cron/:id/runs', ops, async (req) => {
      const j = await find(req.params.id!);
      return { status: 200, body: { id: j.id, runs: await store.listRuns(j.id, 50) } };
    });
    rest.route('POST', '/api/cron/:id/run', ops, async (req) => ({
      status: 202,
      body: await runNow(req.params.id!),
    }));

    await engine.start();
    // Firing stops as soon as the drain begins: a slot claimed now would only wait for the next start.
    return { name: 'cron', drain: () => engine.stop(), stop: () => engine.stop() };
  };
}
