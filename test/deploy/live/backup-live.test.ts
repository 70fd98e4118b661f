/**
 * @module Live: deploy/scripts/backup-openclaw.sh against a running gateway (seed 11.3), then the
 * disaster-recovery steps of seed 11.4: the data dir is lost, `openclaw backup restore` brings the
 * archive back, and a gateway started on it knows the tasks accepted before the backup (and not
 * the one accepted after it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient } from '../../../src/client/index.js';
import { GatewayError, type Task } from '../../../src/protocol/index.js';
import { CLI, cliEnv, runCli } from '../../support/gateway-process.js';
import { deployPath } from '../support/repo.js';
import { makeTempDir, runTool } from '../support/tools.js';
import { startLiveGateway, type LiveGateway } from '../support/live-gateway.js';

async function withOperator<T>(gw: LiveGateway, fn: (c: GatewayClient) => Promise<T>): Promise<T> {
  const c = new GatewayClient({
    url: gw.process.wsUrl,
    role: 'operator',
    token: gw.token('operator'),
    reconnect: { enabled: false },
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe('backup-openclaw.sh against a live gateway, and restore', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: LiveGateway;
  let backups = '';
  let accepted: string[] = [];
  let afterBackup = '';

  before(async () => {
    tmp = makeTempDir('openclaw-live-backup-');
    backups = join(tmp.path, 'backups');
    gw = await startLiveGateway();
    // No node is connected: the tasks stay queued, durable rows in the store.
    accepted = await withOperator(gw, async (c) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const t = (await c.request('task.submit', {
          skill: 'shell',
          args: { command: `echo ${i}` },
        })) as Task;
        ids.push(t.id);
      }
      return ids;
    });
  });
  after(async () => {
    await gw?.stop();
    tmp?.remove();
  });

  test('the script writes a store snapshot and a config archive while the gateway runs', () => {
    const bin = join(tmp.path, 'openclaw');
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(bin, 0o755);
    const res = runTool('bash', [deployPath('scripts', 'backup-openclaw.sh')], {
      env: {
        ...cliEnv(gw.home),
        BACKUP_DIR: backups,
        OPENCLAW_BIN: bin,
        OPENCLAW_ENV_FILE: join(tmp.path, 'no-such.env'),
        OPENCLAW_USER: '',
        OPENCLAW_DATA_DIR: join(gw.home, '.openclaw', 'data'),
        OPENCLAW_CONFIG: join(gw.home, '.openclaw', 'config.yaml'),
        CONFIG_PATHS: join(gw.home, '.openclaw', 'config.yaml'),
      },
      timeoutMs: 60_000,
    });
    assert.equal(res.status, 0, res.output);
    assert.match(res.stdout, /backup-openclaw: done: openclaw-\d{8}-\d{6}\.backup/);
    const latest = join(backups, 'openclaw-latest.backup');
    assert.match(readlinkSync(latest), /^openclaw-\d{8}-\d{6}\.backup$/);
    assert.ok(statSync(latest).size > 0);
    assert.equal(statSync(latest).mode & 0o077, 0, 'backups are private to their owner');
    const listing = runTool('tar', ['tzf', join(backups, 'config-latest.tar.gz')]);
    assert.match(listing.stdout, /\.openclaw\/config\.yaml/);
  });

  test('after losing the data dir, backup restore brings back what was accepted before the backup', async () => {
    afterBackup = await withOperator(gw, async (c) => {
      const t = (await c.request('task.submit', { skill: 'shell', args: { command: 'echo late' } })) as Task;
      return t.id;
    });
    await gw.halt();
    const dataDir = join(gw.home, '.openclaw', 'data');
    rmSync(dataDir, { recursive: true, force: true });
    const res = await runCli(
      ['backup', 'restore', join(backups, 'openclaw-latest.backup')],
      cliEnv(gw.home),
      60_000,
    );
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    assert.ok(existsSync(dataDir));
    await gw.restart();
    await withOperator(gw, async (c) => {
      for (const id of accepted) {
        const t = (await c.request('task.get', { id })) as Task;
        assert.equal(t.id, id);
      }
      await assert.rejects(c.request('task.get', { id: afterBackup }), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.code, 'GW_ERR_TASK_NOT_FOUND');
        return true;
      });
    });
  });
});
