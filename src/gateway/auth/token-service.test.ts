import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { GatewayError } from '../../protocol/index.js';
import type { RevocationStore } from '../../store/types.js';
import { InMemoryRevocationStore } from './revocations.js';
import { MAX_TTL_SECONDS, createTokenService, parseTtl, tokenFingerprint } from './token-service.js';

const SECRET = 'test-secret-0123456789';
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function setup(secret = SECRET) {
  let clock = T0;
  const revocations = new InMemoryRevocationStore({ now: () => clock });
  const svc = createTokenService({ secret, revocations, now: () => clock });
  return {
    svc,
    revocations,
    advance(ms: number) {
      clock += ms;
    },
  };
}

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<GatewayError> {
  let caught: unknown;
  await p.then(
    () => assert.fail(`expected rejection with ${reason}`),
    (err: unknown) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof GatewayError, 'a GatewayError');
  assert.equal(caught.code, 'GW_ERR_AUTH_INVALID');
  assert.equal(caught.details.reason, reason);
  return caught;
}

function parts(token: string): [string, string, string] {
  const p = token.split('.');
  assert.equal(p.length, 3);
  return p as [string, string, string];
}

describe('token service', () => {
  test('issues an oc1 token whose claims verify back', async () => {
    const { svc } = setup();
    const issued = svc.issue({ role: 'node', ttlSeconds: 3600, subject: 'worker-1' });
    const [prefix, body] = parts(issued.token);
    assert.equal(prefix, 'oc1');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    assert.deepEqual(Object.keys(payload), ['jti', 'role', 'sub', 'iat', 'exp']);
    assert.equal(payload.iat, T0 / 1000);
    assert.equal(payload.exp, T0 / 1000 + 3600);
    assert.equal(issued.expires_at, new Date(T0 + 3600_000).toISOString());
    assert.equal(issued.role, 'node');

    const v = await svc.verify(issued.token);
    assert.deepEqual(v, {
      jti: issued.jti,
      role: 'node',
      sub: 'worker-1',
      iat: T0 / 1000,
      exp: T0 / 1000 + 3600,
      expires_at: issued.expires_at,
    });
  });

  test('a token without ttl has no exp and never expires', async () => {
    const { svc, advance } = setup();
    const issued = svc.issue({ role: 'admin' });
    assert.equal(issued.expires_at, null);
    advance(50 * 365 * 24 * 3600_000);
    const v = await svc.verify(issued.token);
    assert.equal(v.exp, undefined);
    assert.equal(v.sub, undefined);
    assert.equal(v.expires_at, null);
  });

  test('every issued token has its own jti', () => {
    const { svc } = setup();
    const ids = new Set(Array.from({ length: 200 }, () => svc.issue({ role: 'operator' }).jti));
    assert.equal(ids.size, 200);
  });

  test('any string secret of sufficient length works, unicode included', async () => {
    const { svc } = setup('pässwörd-🔐-with-some-length');
    const t = svc.issue({ role: 'operator' });
    assert.equal((await svc.verify(t.token)).role, 'operator');
  });

  test('rejects a tampered payload (role escalated) as bad signature', async () => {
    const { svc } = setup();
    const issued = svc.issue({ role: 'node', subject: 'n1' });
    const [prefix, body, sig] = parts(issued.token);
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    payload.role = 'admin';
    const forged = `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    await rejectsWith(svc.verify(forged), 'bad signature');
  });

  test('rejects a tampered signature, including changes to any single character', async () => {
    const { svc } = setup();
    const issued = svc.issue({ role: 'operator' });
    const [prefix, body, sig] = parts(issued.token);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sig.length; i++) {
      const orig = sig[i] ?? 'A';
      // The next character in the alphabet flips only the lowest bit: this also catches signatures
      // that decode to the same bytes because the last character's low bits are unused.
      const repl = alphabet[(alphabet.indexOf(orig) + 1) % alphabet.length] ?? 'A';
      const forged = `${prefix}.${body}.${sig.slice(0, i)}${repl}${sig.slice(i + 1)}`;
      await rejectsWith(svc.verify(forged), 'bad signature');
    }
  });

  test('rejects a token signed with another secret', async () => {
    const a = setup('first-secret-aaaaaaaaaaaa');
    const b = setup('second-secret-bbbbbbbbbbb');
    const t = a.svc.issue({ role: 'admin' });
    await rejectsWith(b.svc.verify(t.token), 'bad signature');
  });

  test('the MAC key is derived with HKDF, not the raw secret', async () => {
    const { svc } = setup();
    const [prefix, body] = parts(svc.issue({ role: 'admin' }).token);
    const raw = createHmac('sha256', SECRET).update(`${prefix}.${body}`).digest('base64url');
    await rejectsWith(svc.verify(`${prefix}.${body}.${raw}`), 'bad signature');
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'openclaw-gateway', 'oc1 token mac', 32));
    const derived = createHmac('sha256', key).update(`${prefix}.${body}`).digest('base64url');
    assert.equal((await svc.verify(`${prefix}.${body}.${derived}`)).role, 'admin');
  });

  test('rejects truncated tokens at every length', async () => {
    const { svc } = setup();
    const { token } = svc.issue({ role: 'operator', ttlSeconds: 60 });
    for (let len = 0; len < token.length; len++) {
      let caught: unknown;
      await svc.verify(token.slice(0, len)).then(
        () => assert.fail(`truncated to ${len} verified`),
        (err: unknown) => {
          caught = err;
        },
      );
      assert.ok(caught instanceof GatewayError);
      assert.equal(caught.code, 'GW_ERR_AUTH_INVALID');
      assert.ok(['malformed', 'bad signature'].includes(String(caught.details.reason)), `len ${len}`);
    }
    await rejectsWith(svc.verify(token.slice(0, token.lastIndexOf('.'))), 'malformed');
    await rejectsWith(svc.verify(token.slice(0, -1)), 'bad signature');
  });

  test('rejects malformed input of every kind without echoing it', async () => {
    const { svc } = setup();
    const good = svc.issue({ role: 'operator' }).token;
    const [, body, sig] = parts(good);
    const cases: unknown[] = [
      '',
      'garbage',
      `oc2.${body}.${sig}`,
      `${good}.extra`,
      `oc1..${sig}`,
      `oc1.${body}.`,
      `oc1.${body}=.${sig}`,
      `oc1.${body}.${sig}=`,
      `oc1.${body.replace(/./, '+')}.${sig}`,
      ` ${good}`,
      `${good}\n`,
      'x'.repeat(5000),
      undefined,
      null,
      42,
      { token: good },
    ];
    for (const c of cases) {
      const err = await rejectsWith(svc.verify(c), 'malformed');
      assert.equal(err.message, 'invalid credentials: malformed');
      assert.ok(!JSON.stringify(err.toBody()).includes(sig), 'the error body does not contain the signature');
    }
  });

  test('a correctly signed payload that is not a valid claim set is malformed', async () => {
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'openclaw-gateway', 'oc1 token mac', 32));
    const sign = (body: string) =>
      `oc1.${body}.${createHmac('sha256', key).update(`oc1.${body}`).digest('base64url')}`;
    const { svc } = setup();
    const enc = (s: string) => Buffer.from(s).toString('base64url');
    await rejectsWith(svc.verify(sign(enc('not json'))), 'malformed');
    await rejectsWith(
      svc.verify(sign(enc(JSON.stringify({ jti: 'abc', role: 'root', iat: 1 })))),
      'malformed',
    );
    await rejectsWith(svc.verify(sign(enc(JSON.stringify({ role: 'admin', iat: 1 })))), 'malformed');
    await rejectsWith(
      svc.verify(sign(enc(JSON.stringify({ jti: 'a', role: 'admin', iat: 1, exp: 'never' })))),
      'malformed',
    );
  });

  test('expires exactly at exp: valid 1 s before, rejected at exp and 1 s after', async () => {
    const { svc, advance } = setup();
    const { token } = svc.issue({ role: 'operator', ttlSeconds: 60 });
    advance(59_000);
    assert.equal((await svc.verify(token)).role, 'operator');
    advance(999);
    assert.equal((await svc.verify(token)).role, 'operator');
    advance(1);
    await rejectsWith(svc.verify(token), 'expired');
    advance(1000);
    const err = await rejectsWith(svc.verify(token), 'expired');
    assert.equal(err.message, 'invalid credentials: expired');
    assert.equal(err.status, 401);
    assert.equal(err.closeCode, 4401);
  });

  test('a revoked token is rejected, others of the same role are not', async () => {
    const { svc, revocations } = setup();
    const a = svc.issue({ role: 'operator', ttlSeconds: 600 });
    const b = svc.issue({ role: 'operator', ttlSeconds: 600 });
    await revocations.revoke(a.jti, null);
    await rejectsWith(svc.verify(a.token), 'revoked');
    assert.equal((await svc.verify(b.token)).jti, b.jti);
  });

  test('revoke() by token records its expiry; by jti records none', async () => {
    const calls: Array<[string, number | null, string | undefined]> = [];
    const store: RevocationStore = {
      async revoke(jti, expiresAt, reason) {
        calls.push([jti, expiresAt, reason]);
      },
      async isRevoked(jti) {
        return calls.some((c) => c[0] === jti);
      },
    };
    const svc = createTokenService({ secret: SECRET, revocations: store, now: () => T0 });
    const t = svc.issue({ role: 'node', ttlSeconds: 100 });
    assert.deepEqual(await svc.revoke(t.token, 'leaked'), { jti: t.jti, expires_at: t.expires_at });
    assert.deepEqual(calls[0], [t.jti, T0 + 100_000, 'leaked']);
    await rejectsWith(svc.verify(t.token), 'revoked');

    const u = svc.issue({ role: 'node' });
    assert.deepEqual(await svc.revoke(u.jti), { jti: u.jti, expires_at: null });
    assert.deepEqual(calls[1], [u.jti, null, undefined]);
    await rejectsWith(svc.verify(u.token), 'revoked');
  });

  test('revoke() refuses a token it did not sign and a malformed id', async () => {
    const other = setup('some-other-secret-xxxxxx').svc.issue({ role: 'admin' });
    const { svc, revocations } = setup();
    await rejectsWith(svc.revoke(other.token), 'bad signature');
    await rejectsWith(svc.revoke('not a jti!'), 'malformed');
    assert.equal(revocations.size, 0);
  });

  test('a failing revocation store fails verification closed with its own error', async () => {
    const boom = new GatewayError('GW_ERR_STORE_UNAVAILABLE', { reason: 'disk gone' });
    const svc = createTokenService({
      secret: SECRET,
      revocations: {
        revoke: async () => undefined,
        isRevoked: async () => {
          throw boom;
        },
      },
    });
    await assert.rejects(svc.verify(svc.issue({ role: 'admin' }).token), (err) => err === boom);
  });

  test('issue() validates role, ttl and subject', () => {
    const { svc } = setup();
    const bad = (fn: () => unknown, re: RegExp) =>
      assert.throws(
        fn,
        (err: unknown) =>
          err instanceof GatewayError && err.code === 'GW_ERR_CONFIG_INVALID' && re.test(err.message),
      );
    bad(() => svc.issue({ role: 'root' as never }), /admin, operator, node/);
    bad(() => svc.issue({ role: 'admin', ttlSeconds: 0 }), /ttl/);
    bad(() => svc.issue({ role: 'admin', ttlSeconds: -5 }), /ttl/);
    bad(() => svc.issue({ role: 'admin', ttlSeconds: 1.5 }), /ttl/);
    bad(() => svc.issue({ role: 'admin', ttlSeconds: MAX_TTL_SECONDS + 1 }), /ttl/);
    bad(() => svc.issue({ role: 'admin', subject: '' }), /subject/);
    bad(() => svc.issue({ role: 'admin', subject: 'x'.repeat(257) }), /subject/);
  });

  test('refuses a secret shorter than 16 characters, naming the env var and key but not the secret', () => {
    assert.throws(
      () => createTokenService({ secret: 'short-secret', revocations: new InMemoryRevocationStore() }),
      (err: unknown) =>
        err instanceof GatewayError &&
        err.code === 'GW_ERR_CONFIG_INVALID' &&
        /OPENCLAW_AUTH_SECRET/.test(err.message) &&
        /gateway\.auth\.secret/.test(err.message) &&
        /16/.test(err.message) &&
        !err.message.includes('short-secret'),
    );
  });
});

describe('parseTtl', () => {
  test('accepts seconds, minutes, hours and days, with or without a unit', () => {
    assert.equal(parseTtl('3600'), 3600);
    assert.equal(parseTtl('3600s'), 3600);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('12h'), 43_200);
    assert.equal(parseTtl('30d'), 2_592_000);
    assert.equal(parseTtl('30D'), 2_592_000);
    assert.equal(parseTtl(' 1h '), 3600);
    assert.equal(parseTtl(120), 120);
  });

  test('rejects everything else with a message that shows the accepted forms', () => {
    for (const input of [
      '',
      ' ',
      '0',
      '0d',
      '-1',
      '-1h',
      '1.5h',
      '10x',
      'h',
      '1 h',
      '1h30m',
      'abc',
      '1e3',
      '99999999999d',
      '36600d',
    ]) {
      assert.throws(
        () => parseTtl(input),
        (err: unknown) =>
          err instanceof GatewayError &&
          err.code === 'GW_ERR_CONFIG_INVALID' &&
          err.message.includes('30d') &&
          err.message.includes('15m'),
        `input ${JSON.stringify(input)}`,
      );
    }
    for (const input of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => parseTtl(input), GatewayError, `input ${input}`);
    }
  });
});

describe('tokenFingerprint', () => {
  test('is a short stable hex prefix that does not contain the token', () => {
    const { svc } = setup();
    const { token } = svc.issue({ role: 'admin' });
    const fp = tokenFingerprint(token);
    assert.match(fp, /^[0-9a-f]{12}$/);
    assert.equal(tokenFingerprint(token), fp);
    assert.notEqual(tokenFingerprint(`${token}x`), fp);
    const [, body, sig] = parts(token);
    assert.ok(!body.includes(fp) && !sig.includes(fp));
  });
});
