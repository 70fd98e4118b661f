/** @module Throwaway certificates for the deployment tests: self-signed ones for proxies, and a small CA for mTLS. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './tools.js';

/** Files of a generated certificate, named as Let's Encrypt names them. */
export interface TlsFiles {
  /** Certificate (PEM). */
  cert: string;
  /** Private key (PEM, unencrypted). */
  key: string;
  /** Certificate chain; for a self-signed certificate the certificate itself. */
  chain: string;
  /** Certificate followed by key, the single-file form HAProxy's `crt` expects. */
  pem: string;
}

/**
 * Writes a 1-day self-signed certificate for `hostname` (plus localhost and 127.0.0.1) into `dir`.
 * @param hostname subject and first SAN; default `gateway.example.com`, the name our configs use.
 */
export function createSelfSignedCert(dir: string, hostname = 'gateway.example.com'): TlsFiles {
  const files: TlsFiles = {
    cert: join(dir, 'fullchain.pem'),
    key: join(dir, 'privkey.pem'),
    chain: join(dir, 'chain.pem'),
    pem: join(dir, 'combined.pem'),
  };
  const res = runTool('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${hostname}`,
    '-addext',
    `subjectAltName=DNS:${hostname},DNS:localhost,IP:127.0.0.1`,
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ]);
  if (res.status !== 0) throw new Error(`openssl failed:\n${res.output}`);
  const cert = readFileSync(files.cert, 'utf8');
  writeFileSync(files.chain, cert);
  writeFileSync(files.pem, cert + readFileSync(files.key, 'utf8'));
  return files;
}

/** A throwaway certificate authority for mTLS tests. */
export interface CertAuthority {
  /** CA certificate (PEM file), what `gateway.tls.ca` and clients' `ca` point at. */
  cert: string;
  /** CA private key (PEM file). */
  key: string;
}

/** A certificate signed by a {@link CertAuthority}. */
export interface IssuedCert {
  cert: string;
  key: string;
}

function newEcKeyArgs(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

/** Writes a 1-day CA (`CA:TRUE`, may sign certificates) named `name` into `dir`. */
export function createCertAuthority(dir: string, name = 'openclaw-test-ca'): CertAuthority {
  const ca: CertAuthority = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const res = runTool('openssl', [
    'req',
    '-x509',
    ...newEcKeyArgs(ca.key),
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    ca.cert,
  ]);
  if (res.status !== 0) throw new Error(`openssl (CA) failed:\n${res.output}`);
  return ca;
}

/**
 * Issues a 1-day certificate for `commonName`, signed by `ca`. A server certificate carries
 * `hosts` as SANs (IPs and DNS names); a client certificate carries `clientAuth` only, so it cannot
 * be misused as a server certificate.
 */
export function issueCert(
  ca: CertAuthority,
  dir: string,
  commonName: string,
  opts: { usage: 'server' | 'client'; hosts?: readonly string[] },
): IssuedCert {
  const out: IssuedCert = { cert: join(dir, `${commonName}.crt`), key: join(dir, `${commonName}.key`) };
  const csr = join(dir, `${commonName}.csr`);
  const ext = join(dir, `${commonName}.ext`);
  const hosts = opts.hosts ?? ['127.0.0.1', 'localhost'];
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(opts.usage === 'server' ? [`subjectAltName=${san}`] : []),
      '',
    ].join('\n'),
  );
  const req = runTool('openssl', [
    'req',
    '-new',
    ...newEcKeyArgs(out.key),
    '-subj',
    `/CN=${commonName}`,
    '-out',
    csr,
  ]);
  if (req.status !== 0) throw new Error(`openssl (CSR) failed:\n${req.output}`);
  const sign = runTool('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    out.cert,
  ]);
  if (sign.status !== 0) throw new Error(`openssl (sign) failed:\n${sign.output}`);
  return out;
}
