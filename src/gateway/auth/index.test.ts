import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../protocol/index.js';
import * as auth from './index.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('auth public surface', () => {
  test('a gateway and a local CLI on one data dir share tokens without any configuration', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oc-auth-index-'));
    dirs.push(dataDir);
    const gatewaySecret = await auth.resolveAuthSecret({ dataDir });
    assert.equal(gatewaySecret.source, 'generated');
    assert.equal((await auth.checkSecretFileMode(auth.authSecretPath(dataDir))).ok, true);

    // The CLI only reads: it must find the gateway's secret and never create one of its own.
    const cliSecret = await auth.readAuthSecretFile(auth.authSecretPath(dataDir));
    assert.equal(cliSecret, gatewaySecret.secret);

    const revocations = new auth.InMemoryRevocationStore();
    const cli = auth.createTokenService({ secret: cliSecret!, revocations });
    const gateway = auth.createTokenService({ secret: gatewaySecret.secret, revocations });
    const issued = cli.issue({ role: 'node', ttlSeconds: auth.parseTtl('12h'), subject: 'worker-1' });
    const v = await gateway.verify(issued.token);
    assert.equal(v.role, 'node');
    assert.equal(auth.mayConnectAs(v.role, 'operator'), false);
    assert.equal(auth.mayConnectAs(v.role, 'node'), true);

    await gateway.revoke(issued.token);
    await assert.rejects(
      gateway.verify(issued.token),
      (err: unknown) => err instanceof GatewayError && err.details.reason === 'revoked',
    );
  });
});
