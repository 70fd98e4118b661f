/** @module Tests of the browser skill against the system Chromium and a loopback HTTP server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { createBrowserSkill, type BrowserResult } from './browser.js';
import { createSkillContext } from './context.js';
import { createSkillRegistry } from './registry.js';

const PAGE = `<!doctype html><html><head><title>Skill test</title></head><body>
<h1>Greeting</h1>
<input id="name" value="">
<button id="go" onclick="document.getElementById('out').textContent = 'Hello, ' + document.getElementById('name').value">Go</button>
<p id="out">not clicked</p>
<ul><li>one</li><li>two</li></ul>
</body></html>`;

let dir: string;
let server: Server;
let base: string;
const skill = createBrowserSkill({ actionTimeoutMs: 2000, navigationTimeoutMs: 10_000 });
const reg = createSkillRegistry([skill], { abortGraceMs: 5000 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oc-skills-browser-'));
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers: used to abort a navigation in flight
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await reg.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const ctx = (extra: { signal?: AbortSignal } = {}) =>
  createSkillContext({ taskId: `b-${++n}`, workspaceDir: join(dir, 'ws'), ...extra });

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError, String(err));
  return err;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('browser skill', () => {
  test('opens a page, types, clicks, reads text and takes screenshots', async () => {
    const c = await ctx();
    const r = (await reg.invoke(
      'browser',
      {
        actions: [
          { open: `${base}/` },
          { text: '#out' },
          { type: '#name', text: 'OpenClaw' },
          { click: '#go' },
          { text: '#out' },
          { text: 'li' },
          { screenshot: 'shots/page.png' },
          { screenshot: null, full_page: true },
        ],
      },
      c,
    )) as BrowserResult;
    assert.equal(r.title, 'Skill test');
    assert.equal(r.url, `${base}/`);
    assert.deepEqual(r.texts, [
      { selector: '#out', text: 'not clicked' },
      { selector: '#out', text: 'Hello, OpenClaw' },
      { selector: 'li', text: 'one\ntwo' },
    ]);
    assert.equal(r.screenshots.length, 2);
    assert.equal(r.screenshots[0], `.tasks/${c.taskId}/shots/page.png`);
    for (const shot of r.screenshots) {
      const bytes = await readFile(join(c.workspaceDir, shot));
      assert.ok(bytes.length > 100);
      assert.deepEqual(bytes.subarray(0, 8), PNG, `${shot} is a PNG`);
    }
  });

  test('the whole page text comes back for a null selector', async () => {
    const r = (await reg.invoke(
      'browser',
      { actions: [{ open: base }, { text: null }] },
      await ctx(),
    )) as BrowserResult;
    assert.match(r.texts[0]!.text, /Greeting[\s\S]*not clicked/);
  });

  test('a missing element fails the call naming the action', async () => {
    const err = await rejection(
      reg.invoke('browser', { actions: [{ open: base }, { click: '#does-not-exist' }] }, await ctx()),
    );
    assert.equal(err.code, 'GW_ERR_SKILL_FAILED');
    assert.match(err.message, /action 1 \(click #does-not-exist\)/);
  });

  test('screenshots cannot be written outside the task directory', async () => {
    const err = await rejection(
      reg.invoke('browser', { actions: [{ open: base }, { screenshot: '../../escape.png' }] }, await ctx()),
    );
    assert.equal(err.code, 'GW_ERR_SKILL_DENIED');
  });

  test('file: and other schemes are refused before anything launches', async () => {
    const err = await rejection(
      reg.invoke('browser', { actions: [{ open: 'file:///etc/passwd' }] }, await ctx()),
    );
    assert.equal(err.code, 'GW_ERR_SKILL_DENIED');
    const bad = await rejection(reg.invoke('browser', { actions: [{ open: 'not a url' }] }, await ctx()));
    assert.equal(bad.code, 'GW_ERR_SKILL_INVALID_ARGS');
    assert.equal(bad.details.path, 'actions[0].open');
  });

  test('an abort during a navigation that never finishes ends the call promptly', async () => {
    const ac = new AbortController();
    const c = await ctx({ signal: ac.signal });
    const started = Date.now();
    const p = reg.invoke('browser', { actions: [{ open: `${base}/hang` }, { text: null }] }, c);
    setTimeout(() => ac.abort(), 1500);
    const err = await rejection(p);
    assert.equal(err.code, 'GW_ERR_TASK_CANCELLED');
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    // The shared browser survives a cancelled call.
    const r = (await reg.invoke(
      'browser',
      { actions: [{ open: base }, { text: '#out' }] },
      await ctx(),
    )) as BrowserResult;
    assert.equal(r.texts[0]!.text, 'not clicked');
  });

  test('a missing Chromium is a clear failure naming the path and OPENCLAW_CHROMIUM_PATH', async () => {
    const missing = join(dir, 'no-chromium');
    const lone = createSkillRegistry([createBrowserSkill({ chromiumPath: missing })]);
    try {
      const err = await rejection(lone.invoke('browser', { actions: [{ open: base }] }, await ctx()));
      assert.equal(err.code, 'GW_ERR_SKILL_FAILED');
      assert.ok(err.message.includes(missing), err.message);
      assert.match(err.message, /OPENCLAW_CHROMIUM_PATH/);
    } finally {
      await lone.dispose();
    }
  });

  test('after dispose the skill refuses new calls', async () => {
    const own = createBrowserSkill();
    const r = createSkillRegistry([own]);
    await r.dispose();
    const err = await rejection(r.invoke('browser', { actions: [{ open: base }] }, await ctx()));
    assert.match(err.message, /disposed/);
  });
});
