/** @module Tests of secret redaction by key, by registered value and by token shape. */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  REDACTED,
  clearRegisteredSecrets,
  createRedactor,
  isSensitiveKey,
  redactText,
  redactValue,
  registerSecret,
} from './redact.js';

afterEach(() => clearRegisteredSecrets());

describe('isSensitiveKey', () => {
  test('matches credential keys in any case and spelling', () => {
    for (const k of [
      'token',
      'auth_token',
      'Authorization',
      'api_key',
      'apiKey',
      'OPENAI_API_KEY',
      'x-api-key',
      'password',
      'secret',
      'OPENCLAW_AUTH_SECRET',
      'cookie',
      'Set-Cookie',
      'encryption_key',
      'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
      'private_key',
    ]) {
      assert.equal(isSensitiveKey(k), true, k);
    }
  });

  test('leaves token counters and ordinary keys alone', () => {
    for (const k of [
      'llm_tokens',
      'prompt_tokens',
      'max_tokens',
      'task_id',
      'idempotency_key',
      'workspace',
      'mode',
    ]) {
      assert.equal(isSensitiveKey(k), false, k);
    }
  });
});

describe('redactText', () => {
  test('scrubs gateway tokens, OpenAI and Anthropic keys and bearer headers', () => {
    const oc = 'oc1.eyJyb2xlIjoib3BlcmF0b3IifQ.c2lnbmF0dXJl';
    const openai = 'sk-proj-AbCdEf0123456789XyZ';
    const anthropic = 'sk-ant-api03-AbCdEf0123456789';
    const out = redactText(
      `token ${oc}, openai ${openai}, anthropic ${anthropic}, header Bearer abc.def-ghi`,
    );
    assert.equal(
      out,
      `token ${REDACTED}, openai ${REDACTED}, anthropic ${REDACTED}, header Bearer ${REDACTED}`,
    );
  });

  test('scrubs each token shape when it is the only one in the text (the cheap pre-check lets all through)', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const alone: Array<[string, string]> = [
      [`jwt=${jwt}`, `jwt=${REDACTED}`],
      ['AUTHORIZATION: BEARER abcdef', `AUTHORIZATION: Bearer ${REDACTED}`],
      ['key sk-proj-AbCdEf0123456789XyZ', `key ${REDACTED}`],
      ['key sk-ant-api03-AbCdEf0123456789', `key ${REDACTED}`],
      ['t=oc1.abcdefgh12345678', `t=${REDACTED}`],
      ['amqp://user:secretpw@mq', `amqp://user:${REDACTED}@mq`],
    ];
    for (const [input, expected] of alone) assert.equal(redactText(input), expected, input);
    registerSecret('wxyz');
    assert.equal(redactText('wxyz'), REDACTED, 'a secret of the minimum length, alone');
    assert.equal(redactText('wxy'), 'wxy');
  });

  test('scrubs the password of a URL but keeps the host', () => {
    assert.equal(
      redactText('connecting to redis://:hunter22@redis.local:6379/0 and https://bob:pw1234@example.com/x'),
      `connecting to redis://:${REDACTED}@redis.local:6379/0 and https://bob:${REDACTED}@example.com/x`,
    );
  });

  test('scrubs registered secrets wherever they appear, longest first', () => {
    registerSecret('correct-horse');
    registerSecret('correct-horse-battery-staple');
    assert.equal(
      redactText('a correct-horse-battery-staple b correct-horse c'),
      `a ${REDACTED} b ${REDACTED} c`,
    );
  });

  test('ignores empty and too-short secrets instead of scrubbing ordinary letters', () => {
    registerSecret('');
    registerSecret(undefined);
    registerSecret('abc');
    assert.equal(redactText('abc abc'), 'abc abc');
  });

  test('does not mistake task ids or ports for credentials', () => {
    const text = 'task task-abc1234567890abcdefgh on http://host:8080/path with sk-short';
    assert.equal(redactText(text), text);
  });

  test('a secret with regex metacharacters is matched literally', () => {
    registerSecret('p@ss.w*rd(1)');
    assert.equal(redactText('pw=p@ss.w*rd(1) and pXss.wwrd(1)'), `pw=${REDACTED} and pXss.wwrd(1)`);
  });
});

describe('redactValue', () => {
  test('redacts sensitive keys at any depth, including inside arrays and maps', () => {
    const input = {
      headers: { Authorization: 'Bearer x', 'content-type': 'json' },
      providers: [{ name: 'openai', apiKey: 'whatever' }],
      deep: { a: { b: { c: { password: 'pw', ok: 1 } } } },
      map: new Map([['auth_token', 'zzz']]),
      llm_tokens: 1823,
      has_token: true,
    };
    assert.deepEqual(redactValue(input), {
      headers: { Authorization: REDACTED, 'content-type': 'json' },
      providers: [{ name: 'openai', apiKey: REDACTED }],
      deep: { a: { b: { c: { password: REDACTED, ok: 1 } } } },
      map: { auth_token: REDACTED },
      llm_tokens: 1823,
      has_token: true,
    });
  });

  test('does not mutate its input', () => {
    const input = { token: 'abc', nested: { secret: 'def' } };
    redactValue(input);
    assert.deepEqual(input, { token: 'abc', nested: { secret: 'def' } });
  });

  test('turns errors into plain objects with scrubbed message, stack, fields and cause', () => {
    registerSecret('s3cr3t-value');
    const cause = new Error('inner s3cr3t-value');
    const err = Object.assign(new Error('outer uses sk-ant-api03-AbCdEf0123456789', { cause }), {
      code: 'E_X',
      api_key: 'k',
    });
    const out = redactValue(err) as Record<string, unknown>;
    assert.equal(out.type, 'Error');
    assert.equal(out.message, `outer uses ${REDACTED}`);
    assert.equal(out.code, 'E_X');
    assert.equal(out.api_key, REDACTED);
    assert.match(String(out.stack), /^Error: outer uses \[REDACTED\]\n\s+at /);
    assert.doesNotMatch(String(out.stack), /sk-ant/);
    assert.equal((out.cause as Record<string, unknown>).message, `inner ${REDACTED}`);
  });

  test('replaces cycles instead of recursing forever, but keeps shared references', () => {
    const shared = { v: 1 };
    const a: Record<string, unknown> = { shared, again: shared };
    a.self = a;
    assert.deepEqual(redactValue(a), { shared: { v: 1 }, again: { v: 1 }, self: '[Circular]' });
  });

  test('a throwing getter yields a placeholder instead of an exception', () => {
    const hostile = {
      get boom(): never {
        throw new Error('getter');
      },
    };
    assert.deepEqual(redactValue({ ok: 1, hostile }), { ok: 1, hostile: '[Unserializable]' });
  });

  test('truncates pathologically deep values', () => {
    let v: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) v = { v };
    assert.match(JSON.stringify(redactValue(v)), /\[Truncated\]/);
  });
});

describe('Redactor.json', () => {
  test('scrubs the JSON-escaped form of a secret and keeps the line parseable', () => {
    const r = createRedactor({ secrets: ['quote"and\\slash'] });
    const line = JSON.stringify({ ['quote"and\\slash']: 1, msg: 'x' });
    const out = r.json(line);
    assert.doesNotMatch(out, /quote/);
    assert.deepEqual(JSON.parse(out), { [REDACTED]: 1, msg: 'x' });
  });

  test('does not replace a match that starts inside an escape sequence', () => {
    const r = createRedactor({ secrets: ['nsecretvalue'] });
    // "\n" followed by "secretvalue" is a newline, not the secret; replacing would leave "\[REDACTED]".
    const line = JSON.stringify({ msg: 'a\nsecretvalue', other: 'nsecretvalue' });
    const out = r.json(line);
    assert.deepEqual(JSON.parse(out), { msg: 'a\nsecretvalue', other: REDACTED });
  });

  test('own secrets do not leak into other redactors', () => {
    const a = createRedactor({ secrets: ['only-for-a'] });
    const b = createRedactor();
    assert.equal(a.text('only-for-a'), REDACTED);
    assert.equal(b.text('only-for-a'), 'only-for-a');
  });
});
