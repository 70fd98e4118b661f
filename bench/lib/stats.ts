/** @module Sample statistics and plain-text tables for benchmark output. */
import { cpus, loadavg, totalmem } from 'node:os';

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (`q` in 0..1). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    mean: s.length ? sum / s.length : Number.NaN,
    min: s.length ? s[0]! : Number.NaN,
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p99: percentile(s, 0.99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Formats a number with `digits` decimals, or `-` for NaN. */
export function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '-';
}

export function verdict(ok: boolean): string {
  return ok ? 'MET' : 'MISSED';
}

/** Prints rows as an aligned table; the first row is the header. */
export function printTable(rows: string[][]): void {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  for (const [n, r] of rows.entries()) {
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** One machine-readable line per result, so README figures can be copied from a log. */
export function printResult(name: string, data: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ bench: name, date: new Date().toISOString(), ...data })}`);
}

/** Parses `--key value` / `--flag` arguments into a map. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), 'true');
  }
  return out;
}

export function intArg(args: Map<string, string>, name: string, def: number): number {
  const v = args.get(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

/** The machine in one line; the load average matters because other work shares these cores. */
export function machineLine(): string {
  const c = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `${c.length} cores (${c[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `node ${process.version}, load average ${load}`
  );
}
