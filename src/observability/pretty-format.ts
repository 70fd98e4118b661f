/** @module Turns one JSON log line into a one-line human-readable form (the `pretty` log format). */

export interface PrettyOptions {
  /** Colour the level with ANSI escapes. Default: false. */
  colors?: boolean;
}

/** Fields shown in fixed places on the line, so they are not repeated among the key=value pairs. */
const PLACED = new Set(['timestamp', 'level', 'component', 'event', 'msg', 'err']);

const LEVEL_COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const RESET = '\x1b[0m';

function scalar(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/**
 * Formats a pino JSON line as
 * `2026-02-22T10:30:00.000Z INFO  [gateway] task_completed: message task_id=... duration_ms=45230`,
 * with an error's stack indented on the lines below. A line that is not JSON is passed through, so a
 * malformed record is never lost.
 */
export function formatPretty(line: string, options: PrettyOptions = {}): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(rec.level ?? 'info');
  let levelText = level.toUpperCase().padEnd(5);
  if (options.colors) levelText = `${LEVEL_COLORS[level] ?? ''}${levelText}${RESET}`;
  const parts: string[] = [];
  if (typeof rec.timestamp === 'string') parts.push(rec.timestamp);
  parts.push(levelText);
  if (rec.component !== undefined) parts.push(`[${String(rec.component)}]`);
  let head = parts.join(' ');
  if (rec.event !== undefined) head += ` ${String(rec.event)}${rec.msg !== undefined ? ':' : ''}`;
  if (rec.msg !== undefined) head += ` ${String(rec.msg)}`;
  const pairs = Object.entries(rec)
    .filter(([k, v]) => !PLACED.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${scalar(v)}`);
  if (pairs.length > 0) head += ` ${pairs.join(' ')}`;

  const err = rec.err as Record<string, unknown> | undefined;
  if (err && typeof err === 'object') {
    const stack =
      typeof err.stack === 'string' ? err.stack : `${String(err.type ?? 'Error')}: ${String(err.message)}`;
    const extra = Object.entries(err).filter(([k]) => !['type', 'message', 'stack'].includes(k));
    head += `\n    ${stack.split('\n').join('\n    ')}`;
    if (extra.length > 0) head += `\n    ${extra.map(([k, v]) => `${k}=${scalar(v)}`).join(' ')}`;
  }
  return `${head}\n`;
}
