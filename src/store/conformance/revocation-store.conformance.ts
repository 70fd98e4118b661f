/** @module The RevocationStore contract as tests, written once and run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RevocationStore } from '../types.js';

export type MakeRevocationStore = () => Promise<{ revocations: RevocationStore; cleanup(): Promise<void> }>;

export function runRevocationStoreConformance(name: string, makeStore: MakeRevocationStore): void {
  const withStore = (fn: (r: RevocationStore) => Promise<void>) => async () => {
    const { revocations, cleanup } = await makeStore();
    try {
      await fn(revocations);
    } finally {
      await cleanup();
    }
  };

  describe(`RevocationStore conformance: ${name}`, () => {
    test(
      'reports a revoked id as revoked and any other id as not',
      withStore(async (r) => {
        assert.equal(await r.isRevoked('jti-1'), false);
        await r.revoke('jti-1', Date.now() + 3_600_000, 'leaked in a log');
        assert.equal(await r.isRevoked('jti-1'), true);
        assert.equal(await r.isRevoked('jti-2'), false);
        assert.equal(await r.isRevoked('JTI-1'), false, 'ids are case-sensitive');
      }),
    );

    test(
      'keeps a never-expiring revocation and accepts revoking twice',
      withStore(async (r) => {
        await r.revoke('forever', null);
        await r.revoke('forever', null, 'again');
        await r.revoke('other', Date.now() + 60_000);
        assert.equal(await r.isRevoked('forever'), true);
        assert.equal(await r.isRevoked('other'), true);
      }),
    );

    test(
      'survives many concurrent revocations',
      withStore(async (r) => {
        const ids = Array.from({ length: 40 }, (_, i) => `bulk-${i}`);
        await Promise.all(ids.map((id) => r.revoke(id, Date.now() + 60_000)));
        const flags = await Promise.all(ids.map((id) => r.isRevoked(id)));
        assert.ok(flags.every(Boolean));
      }),
    );
  });
}
