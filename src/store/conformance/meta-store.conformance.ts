/** @module The MetaStore contract as tests, written once and run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../protocol/index.js';
import type { MetaStore } from '../types.js';

export type MakeMetaStore = () => Promise<{ meta: MetaStore; cleanup(): Promise<void> }>;

export function runMetaStoreConformance(name: string, makeStore: MakeMetaStore): void {
  const withStore = (fn: (m: MetaStore) => Promise<void>) => async () => {
    const { meta, cleanup } = await makeStore();
    try {
      await fn(meta);
    } finally {
      await cleanup();
    }
  };

  describe(`MetaStore conformance: ${name}`, () => {
    test(
      'answers null for a key never set',
      withStore(async (m) => {
        assert.equal(await m.get('gateway_id'), null);
      }),
    );

    test(
      'stores, replaces and deletes values, reporting whether a delete removed anything',
      withStore(async (m) => {
        await m.set('gateway_id', 'gw-1');
        assert.equal(await m.get('gateway_id'), 'gw-1');
        await m.set('gateway_id', 'gw-2');
        assert.equal(await m.get('gateway_id'), 'gw-2');
        assert.equal(await m.delete('gateway_id'), true);
        assert.equal(await m.get('gateway_id'), null);
        assert.equal(await m.delete('gateway_id'), false);
      }),
    );

    test(
      'keeps empty, multi-line and non-ASCII values byte for byte',
      withStore(async (m) => {
        const values = ['', 'line 1\nline 2\r\n', '執行每日報告生成 🦀', 'x'.repeat(64 * 1024)];
        for (const [i, v] of values.entries()) await m.set(`k${i}`, v);
        for (const [i, v] of values.entries()) assert.equal(await m.get(`k${i}`), v);
      }),
    );

    test(
      'rejects an empty key with GW_ERR_PROTOCOL_INVALID_PARAMS',
      withStore(async (m) => {
        await assert.rejects(m.set('', 'v'), (err: unknown) => {
          assert.ok(err instanceof GatewayError);
          assert.equal(err.code, 'GW_ERR_PROTOCOL_INVALID_PARAMS');
          return true;
        });
      }),
    );
  });
}
