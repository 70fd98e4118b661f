import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryRevocationStore } from './revocations.js';

describe('InMemoryRevocationStore', () => {
  test('reports revoked ids and only those', async () => {
    const store = new InMemoryRevocationStore();
    assert.equal(await store.isRevoked('a'), false);
    await store.revoke('a', null, 'leaked');
    assert.equal(await store.isRevoked('a'), true);
    assert.equal(await store.isRevoked('b'), false);
  });

  test('prunes ids once their token has expired, keeps ids without expiry', async () => {
    let now = 1_000_000;
    const store = new InMemoryRevocationStore({ now: () => now });
    await store.revoke('short', now + 1000);
    await store.revoke('forever', null);
    assert.equal(store.size, 2);
    now += 999;
    assert.equal(store.prune(), 0);
    assert.equal(await store.isRevoked('short'), true);
    now += 1;
    assert.equal(store.prune(), 1);
    assert.equal(await store.isRevoked('short'), false);
    assert.equal(await store.isRevoked('forever'), true);
    assert.equal(store.size, 1);
  });

  test('revoking an id again never shortens how long it is kept', async () => {
    let now = 0;
    const store = new InMemoryRevocationStore({ now: () => now });
    await store.revoke('x', 5000);
    await store.revoke('x', 1000);
    now = 2000;
    assert.equal(store.prune(), 0);
    assert.equal(await store.isRevoked('x'), true);
    await store.revoke('x', null);
    now = 10_000;
    assert.equal(store.prune(), 0);
    assert.equal(await store.isRevoked('x'), true);
  });

  test('revoking prunes expired rows so the map cannot grow without bound', async () => {
    let now = 0;
    const store = new InMemoryRevocationStore({ now: () => now });
    for (let i = 0; i < 100; i++) await store.revoke(`old-${i}`, 10);
    now = 11;
    await store.revoke('new', 100);
    assert.equal(store.size, 1);
  });
});
