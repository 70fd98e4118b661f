import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isOriginAllowed, normalizeOrigin } from './origin-policy.js';

const base = { allowed: [] as string[], port: 18789 };

describe('isOriginAllowed', () => {
  test('allows requests without an Origin header (CLI, nodes, curl)', () => {
    assert.equal(isOriginAllowed(undefined, base), true);
  });

  test("'*' allows every origin", () => {
    assert.equal(isOriginAllowed('https://anything.example', { ...base, allowed: ['*'] }), true);
    assert.equal(isOriginAllowed('null', { ...base, allowed: [' * '] }), true);
  });

  test('always allows the Web UI on loopback at the gateway port, over http and https', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', 'LOCALHOST']) {
      for (const scheme of ['http', 'https', 'HTTP']) {
        assert.equal(isOriginAllowed(`${scheme}://${host}:18789`, base), true, `${scheme}://${host}`);
      }
    }
  });

  test('refuses loopback origins on another port: another local web app is another site', () => {
    assert.equal(isOriginAllowed('http://localhost:3000', base), false);
    assert.equal(isOriginAllowed('http://127.0.0.1', base), false);
  });

  test('on the default port the loopback origin carries no port', () => {
    assert.equal(isOriginAllowed('http://localhost', { ...base, port: 80 }), true);
    assert.equal(isOriginAllowed('https://localhost', { ...base, port: 443 }), true);
    assert.equal(isOriginAllowed('https://localhost', { ...base, port: 80 }), false);
  });

  test('allows the page served from the Host the request came to', () => {
    const opts = { ...base, hostHeader: 'gw.example.com' };
    assert.equal(isOriginAllowed('https://gw.example.com', opts), true);
    assert.equal(isOriginAllowed('http://gw.example.com', opts), true);
    assert.equal(isOriginAllowed('https://GW.example.com/', opts), true);
    assert.equal(isOriginAllowed('https://gw.example.com:8443', opts), false);
    assert.equal(isOriginAllowed('https://evil.example.com', opts), false);
    assert.equal(
      isOriginAllowed('https://gw.example.com:8443', { ...base, hostHeader: 'GW.example.com:8443' }),
      true,
    );
    assert.equal(
      isOriginAllowed('https://gw.example.com', { ...base, hostHeader: 'gw.example.com:443' }),
      true,
    );
  });

  test('a Host header with userinfo, path or spaces does not widen the list', () => {
    for (const hostHeader of [
      'evil.com@gw.example.com',
      'gw.example.com/x',
      'evil.com gw.example.com',
      'a\\b',
    ]) {
      assert.equal(isOriginAllowed('http://evil.com', { ...base, hostHeader }), false, hostHeader);
    }
    assert.equal(
      isOriginAllowed('http://gw.example.com', { ...base, hostHeader: 'evil.com@gw.example.com' }),
      false,
    );
  });

  test('matches configured origins exactly after normalising case, default port and trailing slash', () => {
    const opts = {
      ...base,
      allowed: ['https://App.Example.com/', 'http://dash.example.com:80', 'chrome-extension://abcdef/'],
    };
    assert.equal(isOriginAllowed('https://app.example.com', opts), true);
    assert.equal(isOriginAllowed('HTTPS://APP.EXAMPLE.COM', opts), true);
    assert.equal(isOriginAllowed('http://dash.example.com', opts), true);
    assert.equal(isOriginAllowed('chrome-extension://abcdef', opts), true);
    assert.equal(isOriginAllowed('http://app.example.com', opts), false, 'scheme matters');
    assert.equal(isOriginAllowed('https://app.example.com:444', opts), false, 'port matters');
    assert.equal(isOriginAllowed('https://sub.app.example.com', opts), false, 'no subdomain wildcard');
    assert.equal(isOriginAllowed('https://app.example.com.evil.net', opts), false, 'no prefix match');
  });

  test("refuses 'null' and empty origins unless listed", () => {
    assert.equal(isOriginAllowed('null', base), false);
    assert.equal(isOriginAllowed('', base), false);
    assert.equal(isOriginAllowed('null', { ...base, allowed: ['null'] }), true);
  });
});

describe('normalizeOrigin', () => {
  test('canonicalises http(s) origins and leaves opaque ones comparable', () => {
    assert.equal(normalizeOrigin('HTTP://Example.COM:80/'), 'http://example.com');
    assert.equal(normalizeOrigin('https://example.com:443'), 'https://example.com');
    assert.equal(normalizeOrigin('https://[::1]:18789'), 'https://[::1]:18789');
    assert.equal(normalizeOrigin('moz-extension://ABC//'), 'moz-extension://abc');
    assert.equal(normalizeOrigin('  '), null);
  });
});
