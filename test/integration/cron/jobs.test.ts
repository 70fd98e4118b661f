/**
 * @module Integration: managing cron jobs on a real gateway through `openclaw cron ...`, REST and
 * config.yaml (reconciled on every start: kept ids and history, changed schedules, removed entries).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CronJob, CronRun } from '../../../src/protocol/index.js';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { startTestGateway, waitFor, writeConfig, type TestGateway } from '../../support/scheduler-harness.js';

const base = {
  gateway: { local_node: { capabilities: ['echo'] } },
  cron: [
    { name: 'from-config', schedule: '0 * * * *', skill: 'echo', args: { message: 'c' } },
    { name: 'dropped-later', schedule: '0 0 * * *', skill: 'echo', args: { message: 'd' } },
  ],
};

describe('cron jobs through the CLI, REST and config.yaml', () => {
  let g: TestGateway;
  const env = () =>
    cliEnv(g.home, { OPENCLAW_CONFIG: join(g.home, 'config.yaml'), OPENCLAW_GATEWAY_URL: g.gw.wsUrl });
  const cli = async (args: string[]) => {
    const res = await runCli(['cron', ...args], env());
    return { ...res, json: () => JSON.parse(res.stdout) as unknown };
  };

  before(async () => {
    g = await startTestGateway(base);
  });
  after(async () => g?.close());

  test('cron add, list, run-now, runs and remove work end to end', async () => {
    const added = await cli([
      'add',
      '--name',
      'cli-job',
      '--schedule',
      '0 9 * * 1-5',
      '--timezone',
      'Asia/Taipei',
      '--skill',
      'echo',
      '--args',
      '{"message":"from cli"}',
      '--overlap',
      'queue',
      '--json',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const job = added.json() as CronJob;
    assert.equal(job.timezone, 'Asia/Taipei');
    assert.equal(job.overlap, 'queue');
    assert.match(job.next_slot!, /T01:00:00\.000Z$/, '09:00 in Taipei is 01:00 UTC');

    const list = await cli(['list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /cli-job\s+0 9 \* \* 1-5\s+Asia\/Taipei\s+queue/);

    const fired = await cli(['run-now', 'cli-job', '--json']);
    assert.equal(fired.code, 0, fired.stderr);
    const run = fired.json() as CronRun;
    assert.ok(run.task_id);
    const runs = await waitFor('the run to succeed', async () => {
      const r = (await cli(['runs', 'cli-job', '--json'])).json() as { runs: CronRun[] };
      return r.runs[0]?.status === 'succeeded' ? r.runs : null;
    });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.task_id, run.task_id);

    const removed = await cli(['remove', 'cli-job']);
    assert.equal(removed.code, 0);
    assert.doesNotMatch((await cli(['list'])).stdout, /cli-job/);
    const gone = await cli(['runs', 'cli-job']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /cron job cli-job not found \[GW_ERR_CRON_NOT_FOUND\]/);
  });

  test('bad input is refused with clear messages and exit codes', async () => {
    const badTz = await cli([
      'add',
      '--name',
      'x',
      '--schedule',
      '* * * * *',
      '--timezone',
      'Mars/Base',
      'hi',
    ]);
    assert.equal(badTz.code, 2, 'a refused cron job is a usage error');
    assert.match(badTz.stderr, /timezone "Mars\/Base" is not an IANA time zone .*\[GW_ERR_CRON_INVALID\]/);
    const badExpr = await cli(['add', '--name', 'x', '--schedule', '* * *', 'hi']);
    assert.match(badExpr.stderr, /schedule "\* \* \*": has 3 fields/);
    assert.equal(badExpr.code, 2);
    const dup = await cli(['add', '--name', 'from-config', '--schedule', '* * * * *', 'hi']);
    assert.match(dup.stderr, /a job named from-config exists already/);
    const badArgs = await cli([
      'add',
      '--name',
      'y',
      '--schedule',
      '* * * * *',
      '--skill',
      'echo',
      '--args',
      '{',
    ]);
    assert.equal(badArgs.code, 2);
  });

  test('REST: GET/POST/DELETE /api/cron with the same validation', async () => {
    const auth = { authorization: `Bearer ${g.token('operator')}`, 'content-type': 'application/json' };
    const post = await fetch(`${g.gw.httpUrl}/api/cron`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'rest-job', schedule: '*/5 * * * *', task: 'report', timeout: 60 }),
    });
    assert.equal(post.status, 201);
    const job = (await post.json()) as CronJob;
    const bad = await fetch(`${g.gw.httpUrl}/api/cron`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bad', schedule: '99 * * * *', task: 'x' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'GW_ERR_CRON_INVALID');
    const list = (await (await fetch(`${g.gw.httpUrl}/api/cron`, { headers: auth })).json()) as {
      jobs: CronJob[];
    };
    assert.ok(list.jobs.some((j) => j.id === job.id));
    const del = await fetch(`${g.gw.httpUrl}/api/cron/${job.id}`, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 200);
    assert.equal((await fetch(`${g.gw.httpUrl}/api/cron/${job.id}`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${g.gw.httpUrl}/api/cron`)).status, 401);
  });

  test('a restart reconciles config.yaml: same id and history for kept jobs, changes applied, dropped entries removed, API jobs kept', async () => {
    const c = await g.operator();
    await c.request('cron.add', { name: 'api-job', schedule: '0 0 1 * *', task: 'monthly' } as never);
    const before = ((await c.request('cron.list', {})) as { jobs: CronJob[] }).jobs;
    const kept = before.find((j) => j.name === 'from-config')!;
    await c.request('cron.run', { id: kept.id });
    await c.close();
    await g.gw.stop('SIGTERM');
    writeConfig(g.home, { ...base, cron: [{ ...base.cron[0], schedule: '30 * * * *' }] });
    await g.restart();
    const c2 = await g.operator();
    const after = ((await c2.request('cron.list', {})) as { jobs: CronJob[] }).jobs;
    assert.deepEqual(after.map((j) => j.name).sort(), ['api-job', 'from-config']);
    const now = after.find((j) => j.name === 'from-config')!;
    assert.equal(now.id, kept.id);
    assert.equal(now.created_at, kept.created_at);
    assert.equal(now.schedule, '30 * * * *');
    const runs = (await c2.request('cron.runs', { id: now.id })) as { runs: CronRun[] };
    assert.equal(runs.runs.length, 1, 'its history survived the restart');
  });
});
