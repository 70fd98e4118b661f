/** @module Metric names in PromQL and the series the gateway really exports, to keep both in step. */
import { createMetrics } from '../../../src/observability/index.js';

/** Names a PromQL expression refers to that look like OpenClaw metrics (`openclaw_...`). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bopenclaw_[a-z0-9_]+/g) ?? [])];
}

/** Every series name the gateway exports, histograms expanded to _bucket/_sum/_count. */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const { registry } = createMetrics({ defaultMetrics: false });
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}
