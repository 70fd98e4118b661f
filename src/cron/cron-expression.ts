/** @module Cron expressions (5 fields, or 6 with seconds first) in an IANA time zone, via croner. */
import { Cron } from 'croner';
import { GatewayError } from '../protocol/index.js';

export function assertTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new GatewayError('GW_ERR_CRON_INVALID', {
      reason: `timezone ${JSON.stringify(tz)} is not an IANA time zone (e.g. UTC, Asia/Taipei, Europe/Berlin)`,
      path: 'timezone',
    });
  }
}

export class CronSchedule {
  private readonly cron: Cron;
  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    assertTimeZone(timezone);
    const fields = expression.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new GatewayError('GW_ERR_CRON_INVALID', {
        reason: `schedule ${JSON.stringify(expression)} has ${fields} fields; use 5 (min hour day month weekday) or 6 (sec min hour day month weekday)`,
        path: 'schedule',
      });
    }
    try {
      this.cron = new Cron(expression, { paused: true, timezone });
      this.cron.nextRun();
    } catch (err) {
      throw new GatewayError('GW_ERR_CRON_INVALID', {
        reason: `schedule ${JSON.stringify(expression)}: ${(err as Error).message.replace(/^Cron\w*: /, '')}`,
        path: 'schedule',
      });
    }
  }

  /** The first slot strictly after `after` (epoch ms), or null if the expression never fires again. */
  next(after: number): number | null {
    const d = this.cron.nextRun(new Date(after));
    return d ? d.getTime() : null;
  }

  /** Slots in (from, to], oldest first, at most `cap` of them. DST gaps and repeats follow croner. */
  between(from: number, to: number, cap: number): number[] {
    const out: number[] = [];
    let t = from;
    while (out.length < cap) {
      const n = this.next(t);
      if (n === null || n > to) break;
      out.push(n);
      t = n;
    }
    return out;
  }
}
