/** @module Cron expressions (5 fields, 6 with seconds first, or @hourly-style nicknames) in an IANA time zone, via croner. */
import { Cron } from 'croner';
import { GatewayError } from '../protocol/index.js';

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Slots remembered per schedule; the engine asks for the same few recent instants over and over. */
const MEMO_SIZE = 256;

export function assertTimeZone(tz: string): void {
  let ok = tz.length > 0;
  try {
    if (ok) new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new GatewayError('GW_ERR_CRON_INVALID', {
      reason: `timezone ${JSON.stringify(tz)} is not an IANA time zone (e.g. UTC, Asia/Taipei, Europe/Berlin)`,
      path: 'timezone',
    });
  }
}

function invalid(expression: string, why: string): GatewayError {
  return new GatewayError('GW_ERR_CRON_INVALID', {
    reason: `schedule ${JSON.stringify(expression)}: ${why}`,
    path: 'schedule',
  });
}

export class CronSchedule {
  private readonly cron: Cron;
  // croner takes ~0.1 ms per nextRun; 1,000 jobs each second would spend a fifth of it here without this.
  private readonly memo = new Map<number, number | null>();

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    assertTimeZone(timezone);
    const expr = expression.trim();
    const fields = expr.length === 0 ? 0 : expr.split(/\s+/).length;
    const nickname = fields === 1 && NICKNAMES.includes(expr.toLowerCase());
    if (!nickname && fields !== 5 && fields !== 6) {
      throw invalid(
        expression,
        `has ${fields} field${fields === 1 ? '' : 's'}; use 5 (minute hour day month weekday), ` +
          `6 (second minute hour day month weekday) or one of ${NICKNAMES.join(', ')}`,
      );
    }
    try {
      this.cron = new Cron(expr, { paused: true, timezone });
    } catch (err) {
      throw invalid(expression, (err as Error).message.replace(/^Cron\w*: /, ''));
    }
    // An expression like "0 0 31 2 *" parses but can never fire: refusing it beats a job that silently never runs.
    if (this.next(Date.now()) === null) throw invalid(expression, 'never fires (no such date)');
  }

  /** The first slot strictly after `after` (epoch ms), or null if the expression never fires again. */
  next(after: number): number | null {
    const hit = this.memo.get(after);
    if (hit !== undefined) return hit;
    const d = this.cron.nextRun(new Date(after));
    const n = d ? d.getTime() : null;
    if (this.memo.size >= MEMO_SIZE) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(after, n);
    return n;
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
