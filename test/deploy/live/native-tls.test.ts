/**
 * @module Live: native TLS and mTLS on the gateway itself (R2.2, `gateway.tls.*`), without a proxy:
 * wss:// with a CA-signed server certificate, client certificates required or optional, the role a
 * certificate grants (`client_cert_role`), and a real node process authenticated by its certificate
 * alone running a task.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { GatewayClient, type GatewayClientOptions } from '../../../src/client/index.js';
import { GatewayError, type Task } from '../../../src/protocol/index.js';
import { makeTempDir } from '../support/tools.js';
import { createCertAuthority, issueCert, type CertAuthority, type IssuedCert } from '../support/tls.js';
import { startGatewayExpectingFailure, startLiveGateway, type LiveGateway } from '../support/live-gateway.js';
import { startLiveNode } from '../support/live-node.js';

interface Pem {
  cert: string;
  key: string;
}

const pem = (c: IssuedCert): Pem => ({
  cert: readFileSync(c.cert, 'utf8'),
  key: readFileSync(c.key, 'utf8'),
});

async function connectError(opts: GatewayClientOptions): Promise<GatewayError> {
  const client = new GatewayClient({ ...opts, reconnect: { enabled: false }, handshakeTimeoutMs: 5000 });
  try {
    await client.connect();
  } catch (err) {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    return err;
  } finally {
    await client.close();
  }
  assert.fail('the connection was accepted');
}

async function connectRole(opts: GatewayClientOptions): Promise<{ role: string; health: unknown }> {
  const client = new GatewayClient({ ...opts, reconnect: { enabled: false } });
  try {
    const info = await client.connect();
    return { role: info.role, health: await client.request('health', {}) };
  } finally {
    await client.close();
  }
}

describe('native TLS and mTLS on the gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let ca: CertAuthority;
  let caPem: string;
  let server: IssuedCert;
  let client: Pem;
  let rogue: Pem;
  let clientFiles: IssuedCert;
  const gateways: Record<'plain' | 'require' | 'optional', LiveGateway | undefined> = {
    plain: undefined,
    require: undefined,
    optional: undefined,
  };
  const gw = (k: keyof typeof gateways) => {
    const g = gateways[k];
    assert.ok(g, `gateway ${k} started`);
    return g;
  };
  const url = (k: keyof typeof gateways) => gw(k).process.wsUrl;

  before(async () => {
    tmp = makeTempDir('openclaw-live-tls-');
    const certs = join(tmp.path, 'certs');
    mkdirSync(certs);
    ca = createCertAuthority(certs);
    caPem = readFileSync(ca.cert, 'utf8');
    server = issueCert(ca, certs, 'gateway', { usage: 'server', hosts: ['127.0.0.1', 'localhost'] });
    clientFiles = issueCert(ca, certs, 'node-mtls-1', { usage: 'client' });
    client = pem(clientFiles);
    const otherCa = createCertAuthority(certs, 'rogue-ca');
    rogue = pem(issueCert(otherCa, certs, 'intruder', { usage: 'client' }));
    const tlsBase = { enabled: true, cert: server.cert, key: server.key };
    const [plain, require, optional] = await Promise.all([
      startLiveGateway({ config: { gateway: { tls: tlsBase } } }),
      startLiveGateway({
        config: {
          gateway: { tls: { ...tlsBase, ca: ca.cert, client_auth: 'require', client_cert_role: 'node' } },
        },
      }),
      startLiveGateway({
        config: {
          gateway: { tls: { ...tlsBase, ca: ca.cert, client_auth: 'optional', client_cert_role: 'node' } },
        },
      }),
    ]);
    Object.assign(gateways, { plain, require, optional });
  });

  after(async () => {
    for (const g of Object.values(gateways)) await g?.stop();
    tmp?.remove();
  });

  test('serves wss:// and https:// with its certificate; clients verify it against the CA', async () => {
    assert.match(url('plain'), /^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
    const ok = await connectRole({
      url: url('plain'),
      role: 'operator',
      token: gw('plain').token('operator'),
      tls: { ca: caPem },
    });
    assert.equal(ok.role, 'operator');
    assert.equal((ok.health as { status: string }).status, 'ok');
    const body = await new Promise<string>((resolve, reject) => {
      request(`https://127.0.0.1:${gw('plain').process.port}/health`, { ca: caPem }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end();
    });
    assert.equal((JSON.parse(body) as { status: string }).status, 'ok');
    const untrusted = await connectError({
      url: url('plain'),
      role: 'operator',
      token: gw('plain').token('operator'),
    });
    assert.equal(untrusted.code, 'GW_ERR_GATEWAY_UNREACHABLE');
    assert.match(untrusted.message, /certificate/i);
  });

  test('client_auth require: a client without a certificate is refused, even with a valid token', async () => {
    const err = await connectError({
      url: url('require'),
      role: 'operator',
      token: gw('require').token('operator'),
      tls: { ca: caPem },
    });
    assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
    assert.match(err.message, /certificate required/i, err.message);
  });

  test('client_auth require: a certificate from another CA is refused', async () => {
    const err = await connectError({
      url: url('require'),
      role: 'node',
      tls: { ca: caPem, ...rogue },
      node: { id: 'x', capabilities: [] },
    });
    assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
    assert.match(err.message, /unknown ca|certificate|ECONNRESET|socket hang up/i, err.message);
  });

  test('client_auth require: a CA-signed certificate alone authenticates, with role client_cert_role', async () => {
    const ok = await connectRole({
      url: url('require'),
      role: 'node',
      tls: { ca: caPem, ...client },
      node: { id: 'node-mtls-probe', capabilities: ['shell'] },
    });
    assert.equal(ok.role, 'node');
    const err = await connectError({ url: url('require'), role: 'operator', tls: { ca: caPem, ...client } });
    assert.equal(err.code, 'GW_ERR_AUTH_FORBIDDEN_ROLE', 'the certificate grants node, not operator');
    // A token still decides the role when one is given (the certificate only opens the TLS door).
    const op = await connectRole({
      url: url('require'),
      role: 'operator',
      token: gw('require').token('operator'),
      tls: { ca: caPem, ...client },
    });
    assert.equal(op.role, 'operator');
  });

  test('client_auth require: a node process authenticated by its certificate only runs a task', async () => {
    const nodeId = 'node-mtls-1';
    const node = await startLiveNode({
      gateway: url('require'),
      nodeId,
      nodeYaml: {
        connection: { tls: { ca: ca.cert, cert: clientFiles.cert, key: clientFiles.key } },
        reconnect: { initial_delay_ms: 100, max_delay_ms: 1000 },
      },
    });
    const operator = new GatewayClient({
      url: url('require'),
      role: 'operator',
      token: gw('require').token('operator'),
      tls: { ca: caPem, ...client },
      reconnect: { enabled: false },
    });
    try {
      await operator.connect();
      const submitted = (await operator.request('task.submit', {
        skill: 'shell',
        args: { command: 'echo over-mtls' },
      })) as Task;
      let task = submitted;
      for (
        let i = 0;
        i < 100 && !['succeeded', 'failed', 'timed_out', 'cancelled'].includes(task.status);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
        task = (await operator.request('task.get', { id: submitted.id })) as Task;
      }
      assert.equal(task.status, 'succeeded', JSON.stringify(task.error));
      assert.equal(task.node_id, nodeId);
      assert.match(String((task.result as { stdout?: string }).stdout), /over-mtls/);
    } finally {
      await operator.close();
      await node.stop();
    }
  });

  test('client_auth optional: token clients without a certificate work, and a certificate alone grants its role', async () => {
    const tokenOnly = await connectRole({
      url: url('optional'),
      role: 'operator',
      token: gw('optional').token('operator'),
      tls: { ca: caPem },
    });
    assert.equal(tokenOnly.role, 'operator');
    const certOnly = await connectRole({
      url: url('optional'),
      role: 'node',
      tls: { ca: caPem, ...client },
      node: { id: 'node-optional', capabilities: [] },
    });
    assert.equal(certOnly.role, 'node');
  });

  test('REST honours the client certificate too: it authenticates as client_cert_role', async () => {
    const call = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: { error?: { code: string } } }>((resolve, reject) => {
        const req = request(
          `${gw('require').process.httpUrl}/api/tasks`,
          { ca: caPem, cert: client.cert, key: client.key, headers },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    // The certificate carries role node, which may not use the operator API: 403, not 401 for a missing token.
    const certOnly = await call({});
    assert.equal(certOnly.status, 403);
    assert.equal(certOnly.body.error?.code, 'GW_ERR_AUTH_FORBIDDEN_ROLE');
    const withToken = await call({ authorization: `Bearer ${gw('require').token('operator')}` });
    assert.equal(withToken.status, 200, 'a token still decides when one is given');
  });

  test('refuses to start with client certificates but no CA to verify them against', async () => {
    // Node would otherwise verify them against the public CAs, and grant client_cert_role to any of them.
    const noCa = await startGatewayExpectingFailure({
      gateway: { tls: { enabled: true, cert: server.cert, key: server.key, client_auth: 'require' } },
    });
    assert.equal(noCa.code, 2, noCa.stderr);
    assert.match(noCa.stderr, /gateway\.tls\.client_auth require needs gateway\.tls\.ca/);
    const missing = await startGatewayExpectingFailure({
      gateway: { tls: { enabled: true, cert: join(tmp.path, 'missing.pem'), key: server.key } },
    });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /gateway\.tls\.cert: cannot read \S+missing\.pem \(ENOENT\)/);
  });

  test('client_auth optional: a certificate from another CA authenticates nothing', async () => {
    const err = await connectError({
      url: url('optional'),
      role: 'node',
      tls: { ca: caPem, ...rogue },
      node: { id: 'node-rogue', capabilities: [] },
    });
    assert.equal(err.code, 'GW_ERR_AUTH_REQUIRED');
  });
});
