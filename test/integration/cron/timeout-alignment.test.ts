/**
 * @module Integration (R9.2): a cron job whose timeout exceeds tasks.default_timeout, the WebSocket
 * idle timeout or gateway.proxy_read_timeout is reported by `openclaw doctor` (a WARN line with the
 * fix, for jobs in config.yaml and jobs added through the API alike) and by the gateway at start
 * (event cron_timeout_misaligned).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliEnv, runCli } from '../../support/gateway-process.js';
import { startTestGateway, type TestGateway } from '../../support/scheduler-harness.js';
import { freePort } from '../metrics/prometheus-process.js';

const CONFIG = {
  gateway: { proxy_read_timeout: 3600, local_node: { capabilities: ['echo'] } },
  tasks: { default_timeout: 1800 },
  cron: [
    { name: 'nightly-report', schedule: '0 0 * * *', task: '執行每日報告生成', timeout: 7200 },
    { name: 'hourly-sync', schedule: '0 * * * *', task: '執行每小時資料同步任務', timeout: 300 },
  ],
};

describe('cron timeout alignment', () => {
  let g: TestGateway;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    g = await startTestGateway(CONFIG);
    env = cliEnv(g.home, {
      OPENCLAW_CONFIG: join(g.home, 'config.yaml'),
      OPENCLAW_GATEWAY_PORT: String(await freePort()),
    });
  });
  after(async () => g?.close());

  test('the gateway logs cron_timeout_misaligned at start for each exceeded limit, with the fix', () => {
    const lines = g.gw.logs.filter((l) => l.event === 'cron_timeout_misaligned');
    assert.deepEqual(lines.map((l) => `${String(l.job)} ${String(l.limit)} ${String(l.limit_s)}`).sort(), [
      'nightly-report gateway.proxy_read_timeout 3600',
      'nightly-report tasks.default_timeout 1800',
    ]);
    for (const l of lines) {
      assert.equal(l.level, 'warn');
      assert.equal(l.component, 'cron');
      assert.match(String(l.msg), /cron job nightly-report may run 7200 s, longer than .*; raise /);
    }
  });

  test('a job added through the API is checked when added, and by doctor from the store', async () => {
    const c = await g.operator();
    await c.request('cron.add', {
      name: 'weekly-archive',
      schedule: '0 3 * * 0',
      task: 'archive',
      timeout: 5400,
    } as never);
    await g.gw.waitForLog((l) => l.event === 'cron_timeout_misaligned' && l.job === 'weekly-archive');
    await c.close();
    // Stopped, so doctor reads the jobs from the store, not from a running gateway.
    await g.gw.stop('SIGTERM');
    const res = await runCli(['doctor'], env);
    assert.equal(res.code, 0, `doctor: ${res.stdout}${res.stderr}`);
    const warns = res.stdout.split('\n').filter((l) => l.startsWith('[WARN] cron timeouts:'));
    assert.deepEqual(warns.sort(), [
      '[WARN] cron timeouts: cron job nightly-report may run 7200 s, longer than gateway.proxy_read_timeout (3600 s), so the run can be cut off',
      '[WARN] cron timeouts: cron job nightly-report may run 7200 s, longer than tasks.default_timeout (1800 s), so the run can be cut off',
      '[WARN] cron timeouts: cron job weekly-archive may run 5400 s, longer than gateway.proxy_read_timeout (3600 s), so the run can be cut off',
      '[WARN] cron timeouts: cron job weekly-archive may run 5400 s, longer than tasks.default_timeout (1800 s), so the run can be cut off',
    ]);
    // Each WARN is followed by its fix.
    const out = res.stdout.split('\n');
    const i = out.findIndex((l) =>
      l.includes('weekly-archive may run 5400 s, longer than gateway.proxy_read_timeout'),
    );
    assert.equal(
      out[i + 1]!.trim(),
      'fix: raise gateway.proxy_read_timeout to at least 5400, or lower the timeout of cron job weekly-archive to 3600 or less',
    );
    assert.doesNotMatch(res.stdout, /hourly-sync/);
    const json = await runCli(['doctor', '--json'], env);
    const checks = (JSON.parse(json.stdout) as { checks: Array<{ name: string; status: string }> }).checks;
    assert.equal(checks.filter((x) => x.name === 'cron timeouts' && x.status === 'warn').length, 4);
  });

  test('doctor passes the check once the limits fit, and fails on a cron entry the gateway would refuse', async () => {
    const file = join(g.home, 'aligned.yaml');
    writeFileSync(
      file,
      stringify({ ...CONFIG, gateway: { proxy_read_timeout: 0 }, tasks: { default_timeout: 0 } }),
    );
    const ok = await runCli(['doctor', '--config', file], env);
    assert.match(ok.stdout, /^\[PASS\] cron timeouts: 3 cron job\(s\) fit within/m);
    const badFile = join(g.home, 'bad.yaml');
    writeFileSync(badFile, stringify({ cron: [{ name: 'broken', schedule: '61 * * * *', task: 'x' }] }));
    const bad = await runCli(['doctor', '--config', badFile], env);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout,
      /^\[FAIL\] cron timeouts: cron\.0 \(broken\): invalid cron job: schedule "61 \* \* \* \*": .*minute/im,
    );
  });
});
