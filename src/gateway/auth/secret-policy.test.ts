import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../protocol/index.js';
import { MIN_SECRET_LENGTH, assertUsableSecret } from './secret-policy.js';

describe('assertUsableSecret', () => {
  test('accepts exactly the minimum length and refuses one less', () => {
    assert.equal(MIN_SECRET_LENGTH, 16);
    assert.doesNotThrow(() => assertUsableSecret('a'.repeat(16)));
    assert.throws(() => assertUsableSecret('a'.repeat(15)), GatewayError);
  });

  test('the error names where to set it and the minimum, and carries no part of the secret', () => {
    const secret = 'hunter2-secret';
    assert.throws(
      () => assertUsableSecret(secret),
      (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.code, 'GW_ERR_CONFIG_INVALID');
        assert.equal(err.status, 400);
        assert.match(err.message, /OPENCLAW_AUTH_SECRET/);
        assert.match(err.message, /gateway\.auth\.secret/);
        assert.match(err.message, /14 characters long; at least 16/);
        assert.ok(!JSON.stringify(err.toBody()).includes('hunter2'));
        return true;
      },
    );
  });

  test('a non-string (e.g. a number from YAML) is refused, not coerced', () => {
    assert.throws(() => assertUsableSecret(1234567890123456 as unknown as string), GatewayError);
  });
});
