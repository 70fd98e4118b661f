import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../protocol/index.js';
import { startPair } from './test-support/fixture.js';

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI (no key is committed). */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
    ].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe('GatewayClient over wss://', () => {
  let dir = '';
  let server = { cert: '', key: '' };
  let client = { cert: '', key: '' };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openclaw-client-tls-'));
    server = selfSigned(dir, 'gateway');
    client = selfSigned(dir, 'node');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('trusts a private CA given in tls.ca', async (t) => {
    const { client: c } = await startPair(t, { tls: server }, { tls: { ca: server.cert } });
    const result = await c.connect();
    assert.equal(result.server.name, 'openclaw-gateway');
  });

  test('refuses an untrusted certificate with GW_ERR_GATEWAY_UNREACHABLE naming the TLS reason', async (t) => {
    const { gw, client: c } = await startPair(t, { tls: server });
    await assert.rejects(c.connect(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
      assert.match(err.message, /self[- ]signed/i);
      return true;
    });
    assert.equal(gw.connects.length, 0);
  });

  test('presents a client certificate for mTLS, and fails without one', async (t) => {
    const mtls = { ...server, ca: client.cert };
    const { client: withCert } = await startPair(t, { tls: mtls }, { tls: { ca: server.cert, ...client } });
    await withCert.connect();
    const { client: without } = await startPair(t, { tls: mtls }, { tls: { ca: server.cert } });
    await assert.rejects(without.connect(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'GW_ERR_GATEWAY_UNREACHABLE');
      return true;
    });
  });
});
