#!/usr/bin/env node
// Runs the compiled test files with node's built-in runner. Node 20 has no glob support in
// `node --test`, so the files are collected here. Usage: run-tests.mjs unit|integration|all [filter]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const kind = process.argv[2] ?? 'all';
const filter = process.argv[3];
const roots = {
  unit: ['dist/src'],
  integration: ['dist/test'],
  all: ['dist/src', 'dist/test'],
}[kind];
if (!roots) {
  console.error(`unknown test kind ${kind}; use unit, integration or all`);
  process.exit(2);
}

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js') && (!filter || p.includes(filter))) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, [])).sort();
if (files.length === 0) {
  console.error('no test files found; did the build run?');
  process.exit(1);
}
const concurrency = process.env.OPENCLAW_TEST_CONCURRENCY ?? '3';
const res = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, OPENCLAW_TEST: '1' } },
);
process.exit(res.status ?? 1);
