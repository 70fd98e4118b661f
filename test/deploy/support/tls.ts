/** @module Self-signed certificates for proxy configs under test, made with the openssl CLI. */
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
