/**
 * @module Integration: the built-in skills run as tasks on the gateway's local node: the file skill's
 * confinement (`../`, absolute paths, symlinks), the shell deny list, and the browser skill against a
 * page served by the test on loopback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '../../../src/client/index.js';
import type { Task } from '../../../src/protocol/index.js';
import { startTestGateway, submit, waitForTask, type TestGateway } from '../../support/scheduler-harness.js';

describe('skills through tasks (local node)', () => {
  let g: TestGateway;
  let c: GatewayClient;
  let wsDir: string;
  let outside: string;

  const run = async (params: Record<string, unknown>, timeoutMs?: number): Promise<Task> =>
    waitForTask(c, (await submit(c, { workspace: 'skills-ws', ...params })).id, undefined, timeoutMs);

  before(async () => {
    g = await startTestGateway({
      // The smallest frame limit allowed, so a large result is easy to make.
      gateway: { local_node: { concurrency: 4 }, websocket: { max_message_size: 65536 } },
    });
    c = await g.operator();
    wsDir = join(g.home, '.openclaw', 'data', 'workspaces', 'skills-ws');
    outside = join(g.home, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
  });
  after(async () => g?.close());

  test('the file skill reads and writes inside the workspace', async () => {
    const w = await run({ skill: 'file', args: { op: 'write', path: 'notes/a.txt', content: 'hello' } });
    assert.equal(w.status, 'succeeded', JSON.stringify(w.error));
    assert.equal(readFileSync(join(wsDir, 'notes', 'a.txt'), 'utf8'), 'hello');
    const r = await run({ skill: 'file', args: { op: 'read', path: 'notes/a.txt' } });
    assert.equal(r.status, 'succeeded');
    assert.match(JSON.stringify(r.result), /hello/);
  });

  test('the file skill refuses ../ and absolute paths out of the workspace', async () => {
    for (const args of [
      { op: 'read', path: '../../../outside/secret.txt' },
      { op: 'read', path: 'notes/../../x' },
      { op: 'read', path: join(outside, 'secret.txt') },
      { op: 'write', path: '../escaped.txt', content: 'x' },
      { op: 'list', path: '..' },
      { op: 'search', pattern: 'secret', path: '../../..' },
    ]) {
      const t = await run({ skill: 'file', args });
      assert.equal(t.status, 'failed', `${JSON.stringify(args)} must fail: ${JSON.stringify(t.result)}`);
      assert.equal(t.error?.code, 'GW_ERR_SKILL_DENIED', JSON.stringify(t.error));
      assert.match(t.error!.message, /path/);
    }
    assert.equal(existsSync(join(wsDir, '..', 'escaped.txt')), false);
  });

  test('the file skill refuses symlinks that lead out of the workspace', async () => {
    symlinkSync(outside, join(wsDir, 'link-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(wsDir, 'link-file'));
    for (const args of [
      { op: 'read', path: 'link-dir/secret.txt' },
      { op: 'read', path: 'link-file' },
      { op: 'write', path: 'link-dir/planted.txt', content: 'x' },
      { op: 'write', path: 'link-file', content: 'overwritten' },
      { op: 'list', path: 'link-dir' },
    ]) {
      const t = await run({ skill: 'file', args });
      assert.equal(t.status, 'failed', `${JSON.stringify(args)} must fail: ${JSON.stringify(t.result)}`);
      assert.equal(t.error?.code, 'GW_ERR_SKILL_DENIED', JSON.stringify(t.error));
    }
    assert.equal(existsSync(join(outside, 'planted.txt')), false);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'top secret');
  });

  test('the shell deny list refuses destructive commands before anything runs', async () => {
    const marker = join(g.home, 'ran-anyway');
    for (const command of [
      `touch '${marker}'; rm -rf /`,
      `touch '${marker}' && shutdown -h now`,
      `touch '${marker}'; sudo reboot`,
      `echo ok | sh -c 'mkfs.ext4 /dev/sda1'`,
      `touch '${marker}'; :(){ :|:& };:`,
    ]) {
      const t = await run({ skill: 'shell', args: { command } });
      assert.equal(t.status, 'failed', command);
      assert.equal(t.error?.code, 'GW_ERR_SKILL_DENIED', `${command}: ${JSON.stringify(t.error)}`);
    }
    assert.equal(existsSync(marker), false, 'a denied command line is not run at all, not even in part');
    const ok = await run({ skill: 'shell', args: { command: 'rm -rf ./scratch && echo allowed' } });
    assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
    assert.equal((ok.result as { stdout: string }).stdout, 'allowed\n');
  });

  test('the shell runs in a directory of its own inside the workspace', async () => {
    const a = await run({ skill: 'shell', args: { command: 'pwd' } });
    const b = await run({ skill: 'shell', args: { command: 'pwd' } });
    const pa = (a.result as { stdout: string }).stdout.trim();
    const pb = (b.result as { stdout: string }).stdout.trim();
    assert.ok(pa.startsWith(wsDir), `${pa} is inside ${wsDir}`);
    assert.notEqual(pa, pb, 'two tasks do not share a working directory');
  });

  test('a result larger than the gateway accepts fails the task clearly and the node stays connected', async () => {
    const t0 = Date.now();
    const big = await run(
      { skill: 'shell', args: { command: "head -c 200000 /dev/zero | tr '\\0' x" } },
      15_000,
    );
    assert.equal(big.status, 'failed');
    assert.equal(big.error?.code, 'GW_ERR_TASK_FAILED');
    assert.match(
      big.error!.message,
      /more than the gateway accepts in one message \(gateway.websocket.max_message_size: 65536\)/,
    );
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(
      g.gw.logs.some((l) => l.event === 'node_disconnected' && Date.parse(String(l.timestamp)) >= t0 - 1000),
      false,
      'the node connection did not flap',
    );
    const after = await run({ skill: 'shell', args: { command: 'echo still here' } });
    assert.equal((after.result as { stdout: string }).stdout, 'still here\n');
  });

  describe('browser skill with /usr/bin/chromium', () => {
    let server: Server;
    let url: string;
    before(async () => {
      server = createServer((req, res) => {
        if (req.url === '/hang') return; // never answers
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          '<!doctype html><title>Claw test page</title><h1 id="h">Hello from the test server</h1>' +
            '<input id="q"><button id="b" onclick="document.getElementById(\'h\').textContent=' +
            "'typed: '+document.getElementById('q').value\">go</button>",
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(() => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    });

    test('reads the text of a loopback page, types, clicks, and saves a PNG screenshot', async () => {
      const t = await run(
        {
          skill: 'browser',
          timeout: 60,
          args: {
            actions: [
              { open: url },
              { text: '#h' },
              { type: '#q', text: 'claws' },
              { click: '#b' },
              { text: '#h' },
              { screenshot: 'page.png' },
            ],
          },
        },
        60_000,
      );
      assert.equal(t.status, 'succeeded', JSON.stringify(t.error));
      const r = t.result as { title: string; texts: Array<{ text: string }>; screenshots: string[] };
      assert.equal(r.title, 'Claw test page');
      assert.deepEqual(
        r.texts.map((x) => x.text),
        ['Hello from the test server', 'typed: claws'],
      );
      assert.equal(r.screenshots.length, 1);
      const png = readFileSync(join(wsDir, r.screenshots[0]!));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.length > 1000);
    });

    test('a page that never loads: the task times out and the node goes on', async () => {
      const t0 = Date.now();
      const t = await run(
        { skill: 'browser', timeout: 3, args: { actions: [{ open: `${url}hang` }] } },
        30_000,
      );
      assert.equal(t.status, 'timed_out', JSON.stringify(t.error));
      assert.ok(Date.now() - t0 < 15_000);
      const next = await run(
        { skill: 'browser', timeout: 30, args: { actions: [{ open: url }, { text: '#h' }] } },
        40_000,
      );
      assert.equal(next.status, 'succeeded', JSON.stringify(next.error));
    });
  });
});
