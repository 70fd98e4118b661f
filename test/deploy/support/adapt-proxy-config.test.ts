/** @module Unit tests of the proxy-config adaptation used by the static and the live proxy tests. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptCaddyfile, adaptHaproxyConfig, adaptNginxSite } from './adapt-proxy-config.js';
import type { TlsFiles } from './tls.js';

const tls: TlsFiles = { cert: '/t/cert.pem', key: '/t/key.pem', chain: '/t/chain.pem', pem: '/t/all.pem' };

describe('adaptNginxSite', () => {
  const site = [
    'upstream gw {',
    '    server 127.0.0.1:18789;',
    '    keepalive 32;',
    '}',
    'server {',
    '    listen 80;',
    '    listen [::]:80;',
    '    # listen 80;',
    '    server_name gateway.example.com;',
    '    location /.well-known/acme-challenge/ { root /var/www/certbot; }',
    '}',
    'server {',
    '    listen 443 ssl http2;',
    '    listen 8443 ssl;',
    '    ssl_certificate /etc/letsencrypt/live/x/fullchain.pem;',
    '    ssl_certificate_key /etc/letsencrypt/live/x/privkey.pem;',
    '    ssl_trusted_certificate /etc/letsencrypt/live/x/chain.pem;',
    '    access_log /var/log/nginx/x.log;',
    '}',
  ].join('\n');
  const out = adaptNginxSite(site, {
    ports: { 80: 1080, 443: 1443 },
    upstreams: ['127.0.0.1:5000'],
    tls,
    workDir: '/w',
  });

  test('moves mapped listeners to the bind host and keeps their parameters', () => {
    assert.match(out, /^ {4}listen 127\.0\.0\.1:1080;$/m);
    assert.match(out, /^ {4}listen 127\.0\.0\.1:1443 ssl http2;$/m);
    assert.match(out, /^ {4}listen 8443 ssl;$/m, 'an unmapped port stays as it is');
  });

  test('disables IPv6 listeners of remapped ports and leaves comments alone', () => {
    assert.match(out, /# \(IPv6 listener disabled for the test\) listen \[::\]:80;/);
    assert.match(out, /^ {4}# listen 80;$/m);
  });

  test('rewrites upstream servers but not server_name', () => {
    assert.match(out, /^ {4}server 127\.0\.0\.1:5000;$/m);
    assert.match(out, /server_name gateway\.example\.com;/);
  });

  test('replaces certificate, webroot and access log paths', () => {
    assert.match(out, /ssl_certificate \/t\/cert\.pem;/);
    assert.match(out, /ssl_certificate_key \/t\/key\.pem;/);
    assert.match(out, /ssl_trusted_certificate \/t\/chain\.pem;/);
    assert.match(out, /root \/w\/acme;/);
    assert.match(out, /access_log \/w\/access\.log;/);
    assert.doesNotMatch(out, /letsencrypt|\/var\/www|\/var\/log/);
  });

  test('changes nothing when no adaptation is asked for', () => {
    assert.equal(adaptNginxSite(site, {}), site);
  });
});

describe('adaptCaddyfile', () => {
  test('adds ports, admin off and tls into an existing global block, and ports to the site address', () => {
    const text = [
      '# c',
      '{',
      '\temail a@example.com',
      '}',
      'gateway.example.com {',
      '\treverse_proxy /ws 127.0.0.1:18789',
      '\treverse_proxy localhost:18789 {',
      '\t\ttransport http {',
      '\t\t\tread_timeout 1h',
      '\t\t}',
      '\t}',
      '\tlog {',
      '\t\toutput file /var/log/caddy/x.log',
      '\t}',
      '}',
    ].join('\n');
    const out = adaptCaddyfile(text, {
      ports: { 80: 2080, 443: 2443 },
      upstreams: ['127.0.0.1:7000'],
      tls,
      workDir: '/w',
    });
    assert.match(out, /^\{\n\tadmin off\n\thttp_port 2080\n\thttps_port 2443\n\temail a@example\.com\n\}/m);
    assert.match(out, /^gateway\.example\.com:2443 \{\n\ttls \/t\/cert\.pem \/t\/key\.pem$/m);
    assert.match(out, /reverse_proxy \/ws 127\.0\.0\.1:7000$/m, 'the path matcher is kept');
    assert.match(out, /reverse_proxy 127\.0\.0\.1:7000 \{/, 'each reverse_proxy gets the first address');
    assert.match(out, /output file \/w\/caddy-access\.log/);
    assert.equal(out.match(/^\{$/gm)?.length, 1, 'no second global block');
  });

  test('creates a global block when the file has none', () => {
    const out = adaptCaddyfile('example.com {\n\trespond ok\n}', { ports: { 443: 3443 } });
    assert.match(out, /^\{\n\tadmin off\n\thttps_port 3443\n\}\n\nexample\.com:3443 \{/);
  });
});

describe('adaptHaproxyConfig', () => {
  const cfg = [
    'frontend f',
    '    bind *:18789',
    '    # bind *:443 ssl crt /etc/x.pem',
    '    bind :8443 ssl crt /etc/haproxy/x.pem alpn http/1.1',
    'backend b',
    '    server gateway-1 gateway-1:18789 cookie gw1',
    '    server gateway-2 gateway-2:18789 cookie gw2',
    '    server gateway-3 gateway-3:18789 cookie gw3',
  ].join('\n');

  test('rewrites bind ports, crt paths and server addresses in order, reusing the last', () => {
    const out = adaptHaproxyConfig(cfg, {
      ports: { 18789: 4000, 8443: 4443 },
      upstreams: ['127.0.0.1:5001', '127.0.0.1:5002'],
      tls,
    });
    assert.match(out, /^ {4}bind 127\.0\.0\.1:4000$/m);
    assert.match(out, /^ {4}bind 127\.0\.0\.1:4443 ssl crt \/t\/all\.pem alpn http\/1\.1$/m);
    assert.match(out, /# bind \*:443 ssl crt \/etc\/x\.pem/, 'comments stay');
    assert.match(out, /server gateway-1 127\.0\.0\.1:5001 cookie gw1/);
    assert.match(out, /server gateway-2 127\.0\.0\.1:5002 cookie gw2/);
    assert.match(out, /server gateway-3 127\.0\.0\.1:5002 cookie gw3/);
  });
});
