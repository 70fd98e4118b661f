/** @module Turns a zod issue into one line naming the key, the value and what is allowed. */
import type { z } from 'zod';
import { getPath } from './env-layer.js';
import { knownKeysAt } from './key-catalogue.js';

function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function closest(word: string, candidates: string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const dd = dist(word, c);
    if (dd < bestD) [best, bestD] = [c, dd];
  }
  return best;
}

export function describeIssue(issue: z.core.$ZodIssue, input: unknown, source: string): string {
  const key = issue.path.map(String).join('.');
  const where = `(from ${source})`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((k) => {
        const full = key ? `${key}.${k}` : k;
        const known = knownKeysAt(issue.path.map(String));
        const hint = closest(k, known);
        return `${full} is not a known key${hint ? ` (did you mean ${key ? `${key}.` : ''}${hint}?)` : ''}; allowed here: ${known.join(', ')} ${where}`;
      })
      .join('; ');
  }
  const value = show(getPath(input, key));
  let allowed: string;
  switch (issue.code) {
    case 'invalid_value':
      allowed = `allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'invalid_type':
      allowed = `expected ${issue.expected}`;
      break;
    case 'too_big':
      allowed = `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
      break;
    case 'too_small':
      allowed = `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}`;
      break;
    case 'invalid_union':
      allowed = 'expected one of the documented shapes (see docs/config-reference.md)';
      break;
    default:
      allowed = issue.message;
  }
  return `${key || '(root)'} = ${value}: ${allowed} ${where}`;
}
