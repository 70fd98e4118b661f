/**
 * @module Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and prints where the time went: self time by
 * function, and self and inclusive time by package (a node_modules package, a src/ layer, node itself).
 *
 * Usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top 25] [--match TEXT]
 *   --match prints the callers-to-callee paths of the heaviest samples whose stack contains TEXT.
 */
import { readFileSync } from 'node:fs';
import { fmt, intArg, parseArgs, printTable } from './lib/stats.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package a frame belongs to: `pino`, `@scope/pkg`, `src/gateway`, `node:internal`, `(gc)`. */
export function packageOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = f.url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = f.url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (f.url.startsWith('node:')) return f.url.startsWith('node:internal') ? 'node:internal' : f.url;
  const src = /\/(src|bench|bin|test)\/([^/]+)/.exec(f.url);
  if (src) return src[1] === 'src' ? `src/${src[2]!.replace(/\.js$/, '')}` : src[1]!;
  return f.url;
}

function label(f: CallFrame): string {
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const file = process.argv.slice(2).find((a) => !a.startsWith('--') && a.endsWith('.cpuprofile'));
  if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--top N] [--match TEXT]');
  const top = intArg(args, 'top', 25);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const totalUs = p.endTime - p.startTime;
  const idleUs = [...selfUs].reduce(
    (a, [id, us]) => a + (byId.get(id)!.callFrame.functionName === '(idle)' ? us : 0),
    0,
  );
  console.log(
    `${file}: ${fmt(totalUs / 1000, 0)} ms profiled, ${fmt((totalUs - idleUs) / 1000, 0)} ms busy, ${p.samples.length} samples`,
  );

  const fnSelf = new Map<string, number>();
  const pkgSelf = new Map<string, number>();
  const pkgIncl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    fnSelf.set(label(n.callFrame), (fnSelf.get(label(n.callFrame)) ?? 0) + us);
    const pkg = packageOf(n.callFrame);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us);
    // Inclusive: each package on the stack gets the sample once, however deep it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      seen.add(packageOf(byId.get(cur)!.callFrame));
    }
    for (const s of seen) pkgIncl.set(s, (pkgIncl.get(s) ?? 0) + us);
  }
  const busy = totalUs - idleUs;
  const pct = (us: number) => `${fmt((100 * us) / busy, 1)}%`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);

  console.log('\nself time by function');
  printTable([
    ['function', 'ms', 'busy'],
    ...sorted(fnSelf).map(([k, us]) => [k, fmt(us / 1000, 1), pct(us)]),
  ]);
  console.log('\nby package');
  printTable([
    ['package', 'self ms', 'self', 'inclusive ms', 'inclusive'],
    ...sorted(pkgIncl).map(([k, us]) => [
      k,
      fmt((pkgSelf.get(k) ?? 0) / 1000, 1),
      pct(pkgSelf.get(k) ?? 0),
      fmt(us / 1000, 1),
      pct(us),
    ]),
  ]);

  const match = args.get('match');
  if (match) {
    const stacks = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const frames: string[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        frames.push(label(byId.get(cur)!.callFrame));
      }
      if (!frames.some((f) => f.includes(match))) continue;
      const key = frames.slice(0, 12).join('\n    <- ');
      stacks.set(key, (stacks.get(key) ?? 0) + us);
    }
    console.log(`\nheaviest stacks containing "${match}" (leaf first, then its callers)`);
    for (const [k, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`${fmt(us / 1000, 1)} ms\n    ${k}`);
    }
  }
}

main();
