/**
 * @module deploy/monitoring/prometheus.yml and alerts.yml: promtool checks, promtool rule unit tests
 * (test/deploy/fixtures/alerts.test.yml), and metric names against the gateway's real registry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config/index.js';
import { deployPath, fixturePath, readDeploy } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { exportedSeriesNames, metricNames } from './support/metric-names.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('Prometheus config and alert rules', () => {
  const rules = (
    parse(readDeploy('monitoring', 'alerts.yml')) as { groups: Array<{ rules: Rule[] }> }
  ).groups.flatMap((g) => g.rules);
  let tmp: ReturnType<typeof makeTempDir>;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => tmp.remove());

  test('promtool check config accepts prometheus.yml and the rule file it loads', () => {
    const res = runTool('promtool', ['check', 'config', deployPath('monitoring', 'prometheus.yml')]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /SUCCESS: 1 rule files found/);
  });

  test('promtool check rules accepts alerts.yml', () => {
    const res = runTool('promtool', ['check', 'rules', deployPath('monitoring', 'alerts.yml')]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('each alert fires where it should and stays quiet where it should (promtool test rules)', () => {
    const res = runTool('promtool', ['test', 'rules', fixturePath('alerts.test.yml')]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /SUCCESS/);
  });

  test("the unit tests catch the seed's original expressions (failure ratio and raw-bucket quantile)", () => {
    const seedRules = {
      groups: [
        {
          name: 'openclaw-gateway',
          rules: rules.map((r) => {
            if (r.alert === 'HighTaskFailureRate')
              return {
                ...r,
                expr: 'rate(openclaw_tasks_failed_total[5m]) / rate(openclaw_tasks_completed_total[5m]) > 0.1',
              };
            if (r.alert === 'LLMLatencyHigh')
              return { ...r, expr: 'histogram_quantile(0.95, openclaw_llm_latency_seconds_bucket) > 30' };
            return r;
          }),
        },
      ],
    };
    const rulesFile = join(tmp.path, 'seed-alerts.yml');
    writeFileSync(rulesFile, JSON.stringify(seedRules));
    const fixture = readFileSync(fixturePath('alerts.test.yml'), 'utf8').replace(
      '../../../deploy/monitoring/alerts.yml',
      rulesFile,
    );
    const testFile = join(tmp.path, 'alerts.test.yml');
    writeFileSync(testFile, fixture);
    const res = runTool('promtool', ['test', 'rules', testFile]);
    assert.notEqual(res.status, 0, 'the seed expressions should not pass');
    assert.match(res.output, /HighTaskFailureRate/);
    assert.match(res.output, /LLMLatencyHigh/);
  });

  test("defines the seed 10.4 alerts with the seed's severities and durations", () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    assert.deepEqual(
      ['GatewayDown', 'HighTaskFailureRate', 'LLMLatencyHigh'].map((a) => [
        a,
        byName.get(a)?.labels?.severity,
        byName.get(a)?.for,
      ]),
      [
        ['GatewayDown', 'critical', '1m'],
        ['HighTaskFailureRate', 'warning', '5m'],
        ['LLMLatencyHigh', 'warning', '10m'],
      ],
    );
    for (const r of rules) assert.ok(r.annotations?.summary && r.annotations.description, r.alert);
  });

  test('uses only metric names the gateway exports', async () => {
    const exported = await exportedSeriesNames();
    for (const r of rules) {
      for (const name of metricNames(r.expr))
        assert.ok(exported.has(name), `${r.alert}: ${name} is not exported`);
    }
    const used = new Set(rules.flatMap((r) => metricNames(r.expr)));
    for (const seed of [
      'openclaw_tasks_failed_total',
      'openclaw_tasks_completed_total',
      'openclaw_llm_latency_seconds_bucket',
    ])
      assert.ok(used.has(seed), seed);
  });

  test('scrapes the metrics port of the gateway as job openclaw-gateway, keeping openclaw_* series', () => {
    const prom = parse(readDeploy('monitoring', 'prometheus.yml')) as {
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        static_configs: Array<{ targets: string[] }>;
        metric_relabel_configs?: Array<{ regex: string; action: string }>;
      }>;
    };
    const job = prom.scrape_configs.find((s) => s.job_name === 'openclaw-gateway');
    assert.ok(job);
    const metrics = ConfigSchema.parse({}).metrics;
    assert.equal(job.metrics_path ?? '/metrics', metrics.path);
    assert.deepEqual(job.static_configs[0]?.targets, [`openclaw-gateway:${metrics.port}`]);
    const keep = job.metric_relabel_configs?.find((r) => r.action === 'keep');
    assert.ok(keep && new RegExp(`^(?:${keep.regex})$`).test('openclaw_tasks_queued'));
    assert.ok(
      rules.some((r) => r.expr.includes('job="openclaw-gateway"')),
      'alerts select the same job',
    );
  });
});
