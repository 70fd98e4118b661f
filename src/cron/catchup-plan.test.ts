/** @module Unit tests: the catch-up policies on a list of due slots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCatchup } from './catchup-plan.js';

// Slots at 0..9 s; now is 20 s, grace 12 s: slots 8 and 9 are on time, 0..7 are late.
const due = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => s * 1000);
const now = 20_000;
const grace = 12_000;
const plan = (catchup: 'skip' | 'latest' | 'all', catchup_max = 100) =>
  planCatchup({ catchup, catchup_max }, due, now, grace);
const secs = (xs: number[]) => xs.map((x) => x / 1000);

test('on-time slots always fire; skip drops every late one', () => {
  assert.deepEqual(secs(plan('skip').fire), [8, 9]);
  assert.deepEqual(secs(plan('skip').missed), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('latest runs no late slot when one fires on time, else only the newest', () => {
  assert.deepEqual(secs(plan('latest').fire), [8, 9]);
  const allLate = planCatchup({ catchup: 'latest', catchup_max: 1 }, due, 60_000, grace);
  assert.deepEqual(secs(allLate.fire), [9]);
  assert.equal(allLate.missed.length, 9);
});

test('all runs the newest catchup_max late slots plus the on-time ones', () => {
  assert.deepEqual(secs(plan('all', 3).fire), [5, 6, 7, 8, 9]);
  assert.deepEqual(secs(plan('all', 3).missed), [0, 1, 2, 3, 4]);
  assert.deepEqual(secs(plan('all', 100).fire), secs(due));
  assert.deepEqual(plan('all', 100).missed, []);
});

test('every due slot lands in exactly one of fire and missed', () => {
  for (const p of [plan('skip'), plan('latest'), plan('all', 2), plan('all', 50)]) {
    assert.deepEqual(
      [...p.missed, ...p.fire].sort((a, b) => a - b),
      due,
    );
  }
});
