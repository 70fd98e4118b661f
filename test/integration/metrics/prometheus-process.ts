/**
 * @module Test support: a real Prometheus (Debian's `prometheus`) on a free loopback port, configured
 * from the shipped deploy/monitoring/prometheus.yml with the target and intervals swapped for a test,
 * its TSDB in a temp dir; plus a small client for its HTTP query API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../support/gateway-process.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export interface Prometheus {
  url: string;
  /** Instant query; one sample per series. */
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until `pred` holds for its samples; returns them. */
  waitFor(
    expr: string,
    pred: (s: PromSample[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  stop(): Promise<void>;
  log(): string;
}

interface PromConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: Array<Record<string, unknown> & { job_name: string }>;
}

/** Starts Prometheus scraping `target` (host:port) every second with the shipped job and relabelling. */
export async function startPrometheus(target: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-prom-'));
  const monitoring = join(REPO_ROOT, 'deploy', 'monitoring');
  const cfg = parse(readFileSync(join(monitoring, 'prometheus.yml'), 'utf8')) as PromConfig;
  cfg.global = { ...cfg.global, scrape_interval: '1s', evaluation_interval: '1s' };
  for (const rf of cfg.rule_files ?? []) copyFileSync(join(monitoring, rf), join(dir, rf));
  const job = cfg.scrape_configs.find((j) => j.job_name === 'openclaw-gateway');
  if (!job) throw new Error('deploy/monitoring/prometheus.yml has no openclaw-gateway job');
  job.static_configs = [{ targets: [target] }];
  job.scrape_timeout = '900ms';
  writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg));

  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${child.exitCode}): ${out}`);
    }
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 30 s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
    return body.data!.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };
  const waitFor: Prometheus['waitFor'] = async (expr, pred, what, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    let last: PromSample[] = [];
    for (;;) {
      last = await query(expr);
      if (pred(last)) return last;
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what} (${expr}); last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { url, query, waitFor, stop, log: () => out };
}
