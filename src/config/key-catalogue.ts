/** @module The flat list of documented config keys, derived from the schema's JSON Schema. */
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

export interface KeyDoc {
  key: string;
  type: string;
  default: unknown;
  unit?: string;
  env?: string;
  description?: string;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  unit?: string;
  env?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

let cached: JsonSchema | undefined;
function schema(): JsonSchema {
  cached ??= z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return cached;
}

function typeName(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeName(s.items) : 'values'}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.anyOf ?? s.oneOf) return 'object';
  return s.type ?? 'any';
}

export function knownKeysAt(path: string[]): string[] {
  let cur: JsonSchema | undefined = schema();
  for (const p of path) cur = cur?.properties?.[p];
  return Object.keys(cur?.properties ?? {});
}

/** Every leaf key with its type, default, unit, env var and description, in schema order. */
export function listKeys(): KeyDoc[] {
  const out: KeyDoc[] = [];
  const walk = (s: JsonSchema, prefix: string) => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v.type === 'object' && v.properties && !v.description) {
        walk(v, key);
        continue;
      }
      const entry: KeyDoc = { key, type: typeName(v), default: v.default };
      if (v.unit) entry.unit = v.unit;
      if (v.env) entry.env = v.env;
      if (v.description) entry.description = v.description;
      out.push(entry);
    }
  };
  walk(schema(), '');
  return out;
}
