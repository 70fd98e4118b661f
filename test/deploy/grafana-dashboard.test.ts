/**
 * @module The Grafana dashboard and its provisioning (deploy/monitoring/grafana): valid PromQL on
 * metrics the gateway exports, panels for what an operator watches, and files wired to the Compose stack.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readDeploy } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { exportedSeriesNames, metricNames } from './support/metric-names.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; datasource?: { type: string; uid: string } }>;
}

const dashboard = JSON.parse(readDeploy('monitoring', 'grafana', 'dashboards', 'openclaw-gateway.json')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; datasource?: { uid: string } }> };
};
const exprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

/** Grafana variables replaced by values PromQL accepts, so promtool can parse the expressions. */
const concrete = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*');

describe('Grafana dashboard', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => tmp.remove());

  test('every panel query is valid PromQL (checked by promtool as recording rules)', () => {
    const file = join(tmp.path, 'dashboard-rules.yml');
    const rules = exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: concrete(e.expr) }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const res = runTool('promtool', ['check', 'rules', file]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('the PromQL check is live: a broken query fails it', () => {
    const file = join(tmp.path, 'broken-rules.yml');
    writeFileSync(
      file,
      JSON.stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum(rate(foo[5m])' }] }] }),
    );
    assert.notEqual(runTool('promtool', ['check', 'rules', file]).status, 0);
  });

  test('queries only metrics the gateway exports', async () => {
    const exported = await exportedSeriesNames();
    for (const { panel, expr } of exprs)
      for (const name of metricNames(expr))
        assert.ok(exported.has(name), `${panel}: ${name} is not exported`);
  });

  test('has panels for connections, queue, running, task duration and LLM requests, tokens, latency', () => {
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const m of [
      'openclaw_gateway_connections_active',
      'openclaw_gateway_connections_total',
      'openclaw_gateway_connections_failed_total',
      'openclaw_tasks_queued',
      'openclaw_tasks_running',
      'openclaw_task_duration_seconds_bucket',
      'openclaw_llm_requests_total',
      'openclaw_llm_tokens_total',
      'openclaw_llm_latency_seconds_bucket',
    ])
      assert.ok(used.has(m), `no panel shows ${m}`);
  });

  test('has unique panel ids and a layout without overlapping panels', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24, `${p.title} fits the 24-column grid`);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          assert.ok(!cells.has(key), `${p.title} overlaps ${cells.get(key)}`);
          cells.set(key, p.title);
        }
    }
  });

  test('every query uses the provisioned Prometheus data source', () => {
    const ds = parse(
      readDeploy('monitoring', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
    ) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    const prom = ds.datasources[0];
    assert.ok(prom);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      assert.equal(p.datasource?.uid, prom.uid, p.title);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, prom.uid, p.title);
    }
    for (const v of dashboard.templating.list) assert.equal(v.datasource?.uid, prom.uid, v.name);
    assert.equal(prom.type, 'prometheus');
    // The data source URL names the Compose service of the monitoring stack.
    const compose = parse(readDeploy('monitoring', 'docker-compose.yml')) as {
      services: Record<string, unknown>;
    };
    const host = new URL(prom.url).hostname;
    assert.ok(host in compose.services, `${host} is a service of monitoring/docker-compose.yml`);
  });

  test('is loaded from where the Compose stack mounts the dashboards', () => {
    const provider = parse(
      readDeploy('monitoring', 'grafana', 'provisioning', 'dashboards', 'openclaw.yml'),
    ) as {
      providers: Array<{ options: { path: string } }>;
    };
    const compose = parse(readDeploy('monitoring', 'docker-compose.yml')) as {
      services: { grafana: { volumes: string[] } };
    };
    const mount = compose.services.grafana.volumes.find((v) => v.startsWith('./grafana/dashboards:'));
    assert.ok(mount);
    assert.equal(mount.split(':')[1], provider.providers[0]?.options.path);
    assert.ok(dashboard.uid && dashboard.title);
  });
});
