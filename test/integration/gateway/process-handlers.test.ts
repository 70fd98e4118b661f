/**
 * @module `installProcessHandlers` in a real child process: an exception thrown from a timer and an
 * unhandled rejection are logged, and the process keeps answering HTTP; without them it dies.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../support/gateway-process.js';
import { Cleanup, eventually } from './support/harness.js';

const cleanup = new Cleanup();
after(() => cleanup.run());

const SCRIPT = `
import http from 'node:http';
const { installProcessHandlers } = await import(process.argv[2]);
const line = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const logger = { error: (o, msg) => line({ ...o, err: String(o.err && o.err.message ? o.err.message : o.err), msg }) };
if (process.argv[3] === 'install') installProcessHandlers(logger);
const srv = http.createServer((req, res) => res.end('still serving'));
srv.listen(0, '127.0.0.1', () => {
  line({ event: 'listening', port: srv.address().port });
  setTimeout(() => { throw new Error('boom from a timer'); }, 50);
  setTimeout(() => { Promise.reject(new Error('rejected and never caught')); }, 100);
});
`;

function runScript(mode: 'install' | 'bare') {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-ph-it-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'child.mjs');
  writeFileSync(file, SCRIPT);
  const gatewayIndex = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'gateway', 'index.js')).href;
  const child = spawn(process.execPath, [file, gatewayIndex, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(() => child.kill('SIGKILL'));
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => stderr };
}

describe('process-level handlers', () => {
  test('keep a process serving after an uncaught exception in a timer and an unhandled rejection', async () => {
    const p = runScript('install');
    const listening = await eventually(async () => p.lines.find((l) => l.event === 'listening'), 10_000);
    const ex = await eventually(async () => p.lines.find((l) => l.event === 'uncaught_exception'), 5000);
    assert.equal(ex.err, 'boom from a timer');
    assert.equal(ex.component, 'process');
    const rej = await eventually(async () => p.lines.find((l) => l.event === 'unhandled_rejection'), 5000);
    assert.equal(rej.err, 'rejected and never caught');

    const res = await fetch(`http://127.0.0.1:${String(listening.port)}/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'still serving');
    assert.equal(p.child.exitCode, null, `child exited: ${p.stderr()}`);
    p.child.kill('SIGTERM');
    await p.exited;
  });

  test('without them the same throw ends the process (so the test above is not vacuous)', async () => {
    const p = runScript('bare');
    const code = await p.exited;
    assert.notEqual(code, 0);
    assert.match(p.stderr(), /boom from a timer/);
  });
});
