/// <reference lib="dom" />
/**
 * The Web UI in the real Chromium: it connects over the WebSocket with a token from the URL fragment,
 * lists the built-in local node, submits a task with the form and shows it finish, live.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import {
  cliEnv,
  runCli,
  startGatewayProcess,
  tempHome,
  type GatewayProcess,
} from '../../support/gateway-process.js';

const CHROMIUM = process.env.OPENCLAW_CHROMIUM_PATH ?? '/usr/bin/chromium';
let gw: GatewayProcess;
let browser: Browser;
const home = tempHome('openclaw-web-');

before(async () => {
  gw = await startGatewayProcess({ home: home.home });
  // playwright gives every launch a fresh temporary profile of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  home.cleanup();
});

test('the Web UI connects with a token, shows the local node, and runs a task submitted from its form', async () => {
  const created = await runCli(
    ['token', 'create', '--role', 'operator', '--ttl', '1h', '--json'],
    cliEnv(home.home),
  );
  assert.equal(created.code, 0, created.stderr);
  const { token } = JSON.parse(created.stdout) as { token: string };
  const page = await browser.newPage();
  try {
    await page.goto(`${gw.httpUrl}/#token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => document.querySelector('#conn')?.textContent === 'connected', null, {
      timeout: 15_000,
    });
    assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
    await page.waitForSelector('#nodes tbody tr', { timeout: 10_000 });
    const nodeText = await page.textContent('#nodes tbody');
    assert.match(nodeText ?? '', /local-/);
    await page.fill('#task-skill', 'echo');
    await page.fill('#task-args', '{"message":"from the web"}');
    await page.click('#submit-form button');
    await page.waitForFunction(
      () => /submitted task-/.test(document.querySelector('#submit-result')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    const id = ((await page.textContent('#submit-result')) ?? '').replace('submitted ', '').trim();
    await page.waitForFunction(
      (taskId) =>
        document.querySelector(`#tasks tr[data-id="${taskId}"] td:nth-child(2)`)?.textContent === 'succeeded',
      id,
      { timeout: 15_000 },
    );
    const shown = await runCli(['task', 'show', id, '--json', '--url', gw.wsUrl], cliEnv(home.home));
    assert.equal(shown.code, 0, shown.stderr);
    const task = JSON.parse(shown.stdout) as { source: string; result: { message: string } };
    assert.equal(task.source, 'web');
    assert.equal(task.result.message, 'from the web');
  } finally {
    await page.close();
  }
});

test('without a token the Web UI shows the login form instead of data', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${gw.httpUrl}/`);
    await page.waitForSelector('#login:not([hidden])', { timeout: 10_000 });
    assert.equal(await page.isHidden('#app'), true);
    assert.match((await page.textContent('#conn')) ?? '', /GW_ERR_AUTH_REQUIRED|4401/);
  } finally {
    await page.close();
  }
});
