/** @module Human output by default, `--json` for scripts; errors go to stderr on one line. */
import { GatewayError } from '../protocol/index.js';

export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printError(err: unknown): void {
  if (err instanceof GatewayError) {
    process.stderr.write(`openclaw: ${err.message} [${err.code}]\n`);
    return;
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (msg) process.stderr.write(`openclaw: ${msg}\n`);
}

/** Prints rows as aligned columns. */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  printLine(columns.map((c, i) => c.toUpperCase().padEnd(widths[i]!)).join('  '));
  for (const row of cells) printLine(row.map((v, i) => v.padEnd(widths[i]!)).join('  '));
}
