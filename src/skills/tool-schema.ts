/** @module JSON Schema for LLM tools from a skill's zod schema, shaped the way providers accept it. */
import { z, type ZodType } from 'zod';

type JsonSchema = Record<string, unknown>;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The `parameters` schema of a tool. OpenAI and Anthropic both reject a root that is not
 * `type: "object"`, so a root union of objects (a discriminated union such as the file skill's `op`)
 * is flattened into one object: properties merged, a shared `const` discriminator turned into an
 * `enum`, only the properties every branch needs kept required, and which branch needs what spelled
 * out in the description. The zod schema still validates every call, so nothing is loosened in effect.
 */
export function toolParameters(schema: ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  const branches = json.oneOf ?? json.anyOf;
  if (json.type === 'object' || !Array.isArray(branches)) return json;
  if (!branches.every((b) => isObject(b) && b.type === 'object')) {
    return { type: 'object', properties: {}, description: 'Arguments (see the tool description).' };
  }
  return flatten(branches as JsonSchema[], json.description);
}

function flatten(branches: JsonSchema[], description: unknown): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const consts = new Map<string, unknown[]>();
  for (const branch of branches) {
    const props = isObject(branch.properties) ? branch.properties : {};
    for (const [name, prop] of Object.entries(props)) {
      if (!isObject(prop)) continue;
      if ('const' in prop) consts.set(name, [...(consts.get(name) ?? []), prop.const]);
      properties[name] ??= { ...prop };
    }
  }
  // A discriminator is a property every branch pins with a const.
  let discriminator: string | undefined;
  for (const [name, values] of consts) {
    if (values.length !== branches.length) continue;
    const { const: _drop, ...rest } = properties[name] ?? {};
    properties[name] = { ...rest, enum: values };
    discriminator ??= name;
  }
  const requiredSets = branches.map(
    (b) => new Set(Array.isArray(b.required) ? (b.required as string[]) : []),
  );
  const required = Object.keys(properties).filter((p) => requiredSets.every((s) => s.has(p)));
  const out: JsonSchema = { type: 'object', properties, required };
  const notes: string[] = [];
  if (typeof description === 'string') notes.push(description);
  if (discriminator !== undefined) {
    const lines = branches.map((b, i) => {
      const value = JSON.stringify(consts.get(discriminator)?.[i]);
      const needs = [...(requiredSets[i] ?? [])].filter((p) => p !== discriminator);
      return `${discriminator}=${value}${needs.length > 0 ? ` requires ${needs.join(', ')}` : ''}`;
    });
    notes.push(`Depending on "${discriminator}": ${lines.join('; ')}.`);
  }
  if (notes.length > 0) out.description = notes.join(' ');
  return out;
}
