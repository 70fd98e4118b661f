/** @module A small Dockerfile reader: instructions with their stage, continuations joined, comments dropped. */

export interface DockerInstruction {
  /** Upper-case keyword, e.g. `RUN`. */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** Index of the build stage (0 for the first FROM). */
  stage: number;
  /** 1-based line of the keyword. */
  line: number;
}

/** Parses Dockerfile text. Parser directives and comment lines (also inside continuations) are skipped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  const lines = text.split('\n');
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    if (/^\s*(#|$)/.test(first)) continue;
    const startLine = i + 1;
    let joined = first;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      const next = lines[i] ?? '';
      if (!/^\s*#/.test(next)) joined += next;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!m) continue;
    const keyword = (m[1] ?? '').toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({
      keyword,
      args: (m[2] ?? '').replace(/\s+/g, ' ').trim(),
      stage: Math.max(stage, 0),
      line: startLine,
    });
  }
  return out;
}

/** Splits `ENV A=1 B="x y"` (key=value form) into pairs. */
export function parseEnvArgs(args: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of args.matchAll(re)) pairs.push([m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, '')]);
  return pairs;
}
