import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError, METHODS, ROLES, type Role } from '../../protocol/index.js';
import { assertMayCall, assertMayConnectAs, mayCall, mayConnectAs } from './role-policy.js';

describe('mayConnectAs', () => {
  test('admin may connect as any role, the others only as themselves', () => {
    const table: Record<Role, Role[]> = {
      admin: ['admin', 'operator', 'node'],
      operator: ['operator'],
      node: ['node'],
    };
    for (const tokenRole of ROLES) {
      for (const requested of ROLES) {
        assert.equal(
          mayConnectAs(tokenRole, requested),
          table[tokenRole].includes(requested),
          `${tokenRole} as ${requested}`,
        );
      }
    }
  });

  test('assertMayConnectAs throws GW_ERR_AUTH_FORBIDDEN_ROLE with close code 4403', () => {
    assert.doesNotThrow(() => assertMayConnectAs('admin', 'node'));
    assert.throws(
      () => assertMayConnectAs('node', 'operator'),
      (err: unknown) =>
        err instanceof GatewayError &&
        err.code === 'GW_ERR_AUTH_FORBIDDEN_ROLE' &&
        err.closeCode === 4403 &&
        err.message === 'role node may not connect as operator',
    );
  });
});

describe('mayCall', () => {
  test('a role may call methods that list it', () => {
    assert.equal(mayCall('operator', ['operator']), true);
    assert.equal(mayCall('node', ['node']), true);
  });

  test('admin may call whatever operator may, but not node-only methods', () => {
    assert.equal(mayCall('admin', ['operator']), true);
    assert.equal(mayCall('admin', ['node']), false);
    assert.equal(mayCall('admin', ['admin']), true);
  });

  test('node may not call operator methods and operator may not call node methods', () => {
    assert.equal(mayCall('node', ['operator']), false);
    assert.equal(mayCall('node', ['admin']), false);
    assert.equal(mayCall('operator', ['node']), false);
    assert.equal(mayCall('operator', ['admin']), false);
    assert.equal(mayCall('operator', []), false);
  });

  test('against the protocol method table: node tokens cannot submit or cancel tasks', () => {
    assert.equal(mayCall('node', METHODS['task.submit'].roles), false);
    assert.equal(mayCall('node', METHODS['task.cancel'].roles), false);
    assert.equal(mayCall('admin', METHODS['task.submit'].roles), true);
    assert.equal(mayCall('operator', METHODS['task.complete'].roles), false);
    assert.equal(mayCall('node', METHODS['task.complete'].roles), true);
  });

  test('assertMayCall names the role and method', () => {
    assert.throws(
      () => assertMayCall('node', 'task.submit', METHODS['task.submit'].roles),
      (err: unknown) => err instanceof GatewayError && err.message === 'role node may not call task.submit',
    );
  });
});
