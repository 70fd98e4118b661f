/** @module Unit tests: cron slots, DST in a named zone, and clear errors for bad expressions and zones. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { CronSchedule, assertTimeZone } from './cron-expression.js';

const t = (s: string) => Date.parse(s);
const isoList = (xs: number[]) => xs.map((x) => new Date(x).toISOString());

function cronError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, 'GW_ERR_CRON_INVALID');
    return err;
  }
  assert.fail('expected GW_ERR_CRON_INVALID');
}

describe('CronSchedule slots', () => {
  test('between(from, to] lists every slot once, oldest first, excluding from and including to', () => {
    const s = new CronSchedule('*/15 * * * *', 'UTC');
    assert.deepEqual(isoList(s.between(t('2026-01-01T00:00:00Z'), t('2026-01-01T01:00:00Z'), 100)), [
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
  });

  test('six fields put seconds first; next() is strictly after its argument', () => {
    const s = new CronSchedule('* * * * * *', 'UTC');
    assert.equal(s.next(t('2026-01-01T00:00:00.000Z')), t('2026-01-01T00:00:01.000Z'));
    assert.equal(s.next(t('2026-01-01T00:00:00.999Z')), t('2026-01-01T00:00:01.000Z'));
    assert.equal(s.next(t('2026-01-01T00:00:00.999Z') - 1000), t('2026-01-01T00:00:00.000Z'));
    assert.equal(s.between(t('2026-01-01T00:00:00Z'), t('2026-01-01T00:00:10Z'), 1000).length, 10);
  });

  test('between() stops at the cap', () => {
    const s = new CronSchedule('* * * * * *', 'UTC');
    assert.equal(s.between(t('2026-01-01T00:00:00Z'), t('2026-01-02T00:00:00Z'), 7).length, 7);
  });

  test('a time zone shifts the wall-clock slot (Asia/Taipei is UTC+8)', () => {
    const s = new CronSchedule('0 9 * * *', 'Asia/Taipei');
    assert.equal(new Date(s.next(t('2026-03-01T00:00:00Z'))!).toISOString(), '2026-03-01T01:00:00.000Z');
  });

  test('nicknames like @hourly and @daily are accepted', () => {
    const s = new CronSchedule('@hourly', 'UTC');
    assert.equal(s.next(t('2026-01-01T00:10:00Z')), t('2026-01-01T01:00:00Z'));
    assert.equal(
      new CronSchedule('@daily', 'UTC').next(t('2026-01-01T00:10:00Z')),
      t('2026-01-02T00:00:00Z'),
    );
  });

  test('answers repeated questions from its memo with the same result', () => {
    const s = new CronSchedule('*/5 * * * * *', 'Europe/Berlin');
    const a = s.next(t('2026-06-01T10:00:02Z'));
    for (let i = 0; i < 1000; i++) assert.equal(s.next(t('2026-06-01T10:00:02Z')), a);
    assert.equal(a, t('2026-06-01T10:00:05Z'));
  });
});

describe('DST transitions in Europe/Berlin', () => {
  const daily = new CronSchedule('30 2 * * *', 'Europe/Berlin');

  test('spring gap (2026-03-29, 02:00 -> 03:00): a daily 02:30 job still fires once that day', () => {
    const slots = daily.between(t('2026-03-27T12:00:00Z'), t('2026-03-31T12:00:00Z'), 100);
    assert.deepEqual(isoList(slots), [
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist; fires at 03:00 CEST, once
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  test('fall repeat (2026-10-25, 03:00 -> 02:00): 02:30 happens twice, the job fires once', () => {
    const slots = daily.between(t('2026-10-23T12:00:00Z'), t('2026-10-27T12:00:00Z'), 100);
    assert.deepEqual(isoList(slots), [
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // first 02:30 (CEST); the repeated 02:30 CET at 01:30Z does not fire
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  test('exactly one slot per local day over a whole year', () => {
    const slots = daily.between(t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z'), 1000);
    assert.equal(slots.length, 365);
    const days = new Set(
      slots.map((s) => new Date(s).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' })),
    );
    assert.equal(days.size, 365);
  });

  test('an hourly job fires 23 times on the spring day and 25 times on the fall day (real hours)', () => {
    const hourly = new CronSchedule('0 * * * *', 'Europe/Berlin');
    // Local midnight to midnight: 2026-03-29 00:00 CET is 03-28T23:00Z; 03-30 00:00 CEST is 03-29T22:00Z.
    assert.equal(
      hourly.between(t('2026-03-28T23:00:00Z') - 1, t('2026-03-29T22:00:00Z') - 1, 100).length,
      23,
    );
    assert.equal(
      hourly.between(t('2026-10-24T22:00:00Z') - 1, t('2026-10-25T23:00:00Z') - 1, 100).length,
      25,
    );
  });
});

describe('invalid schedules and time zones', () => {
  test('a wrong field count names the count and the accepted forms', () => {
    const e = cronError(() => new CronSchedule('* * * *', 'UTC'));
    assert.match(e.message, /schedule "\* \* \* \*": has 4 fields; use 5 .*, 6 .* or one of @yearly/);
    assert.equal(e.details.path, 'schedule');
    assert.match(cronError(() => new CronSchedule('* * * * * * *', 'UTC')).message, /has 7 fields/);
    assert.match(cronError(() => new CronSchedule('', 'UTC')).message, /has 0 fields/);
  });

  test('an out-of-range value names the field', () => {
    const e = cronError(() => new CronSchedule('61 * * * *', 'UTC'));
    assert.match(e.message, /invalid cron job: schedule "61 \* \* \* \*": .*minute.*61/i);
  });

  test('garbage is refused with the offending entry', () => {
    assert.match(cronError(() => new CronSchedule('a b c d e', 'UTC')).message, /illegal characters/);
    assert.match(cronError(() => new CronSchedule('@fortnightly', 'UTC')).message, /has 1 field;/);
  });

  test('an expression that can never fire is refused', () => {
    assert.match(cronError(() => new CronSchedule('0 0 31 2 *', 'UTC')).message, /never fires/);
  });

  test('an unknown time zone is refused with examples of valid ones', () => {
    const e = cronError(() => new CronSchedule('* * * * *', 'Mars/Olympus_Mons'));
    assert.match(e.message, /timezone "Mars\/Olympus_Mons" is not an IANA time zone \(e\.g\. UTC/);
    assert.equal(e.details.path, 'timezone');
    cronError(() => assertTimeZone(''));
    assert.doesNotThrow(() => assertTimeZone('America/New_York'));
  });
});
