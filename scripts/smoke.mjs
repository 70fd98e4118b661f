#!/usr/bin/env node
// Smoke run of the installed CLI: start the gateway (built-in local node, SQLite store), run one task,
// check the result and the exit codes, stop it with SIGTERM and expect exit 0.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../bin/openclaw.js', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'openclaw-smoke-'));
const env = {
  ...process.env,
  HOME: home,
  OPENCLAW_HEADLESS: 'true',
  OPENCLAW_GATEWAY_PORT: '0',
  OPENCLAW_METRICS_PORT: '0',
};
const gw = spawn(process.execPath, [cli, 'gateway', 'start', '--headless'], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let url = null;
let buf = '';
const fail = (msg) => {
  console.error(`smoke: FAIL ${msg}`);
  gw.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
  process.exit(1);
};
const timer = setTimeout(() => fail('gateway did not start within 20 s'), 20_000);
gw.stdout.on('data', (d) => {
  buf += d;
  for (const line of buf.split('\n')) {
    try {
      const rec = JSON.parse(line);
      if (rec.event === 'gateway_started' && !url) {
        url = rec.url;
        clearTimeout(timer);
        void run();
      }
    } catch {
      // partial line
    }
  }
});
gw.on('exit', (code) => {
  if (!url) fail(`gateway exited early with ${code}`);
});

async function run() {
  const health = await fetch(url.replace(/^ws/, 'http').replace(/\/ws$/, '/health')).then((r) => r.json());
  if (health.status !== 'ok') fail(`health ${JSON.stringify(health)}`);
  const res = spawnSync(
    process.execPath,
    [cli, 'task', 'run', '--gateway', url, '--skill', 'echo', '--args', '{"message":"smoke ok"}', '--json'],
    { env, encoding: 'utf8' },
  );
  if (res.status !== 0) fail(`task run exited ${res.status}: ${res.stderr}`);
  const task = JSON.parse(res.stdout);
  if (task.status !== 'succeeded' || task.result?.message !== 'smoke ok')
    fail(`unexpected task ${res.stdout}`);
  gw.kill('SIGTERM');
  const code = await new Promise((r) => gw.on('exit', r));
  if (code !== 0) fail(`gateway exited ${code} after SIGTERM`);
  rmSync(home, { recursive: true, force: true });
  console.log(`smoke: ok on ${process.version} (task ${task.id} succeeded, gateway drained with exit 0)`);
}
