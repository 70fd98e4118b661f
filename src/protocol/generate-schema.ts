/** @module Writes protocol.schema.json from the zod schemas, for clients in other languages. */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import {
  FrameSchema,
  RequestFrameSchema,
  ResponseFrameSchema,
  EventFrameSchema,
  ErrorBodySchema,
} from './frames.js';
import { ConnectParamsSchema, ConnectResultSchema, HealthResultSchema } from './handshake.js';
import { TaskSchema } from './task.js';
import { NodeInfoSchema } from './node.js';
import { METHODS, EVENTS } from './methods.js';
import { ERRORS } from './errors.js';

export function buildProtocolSchema(): Record<string, unknown> {
  const j = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'OpenClaw Gateway protocol v1',
    frames: {
      any: j(FrameSchema),
      request: j(RequestFrameSchema),
      response: j(ResponseFrameSchema),
      event: j(EventFrameSchema),
      error: j(ErrorBodySchema),
    },
    connect: { params: j(ConnectParamsSchema), result: j(ConnectResultSchema) },
    health: j(HealthResultSchema),
    objects: { task: j(TaskSchema), node: j(NodeInfoSchema) },
    methods: Object.fromEntries(
      Object.entries(METHODS).map(([name, m]) => [name, { roles: m.roles, params: j(m.params) }]),
    ),
    events: Object.fromEntries(Object.entries(EVENTS).map(([name, s]) => [name, j(s)])),
    errors: ERRORS,
  };
}

// Run as a script (`npm run gen:schema`) only: the check on the file name keeps it from firing when this
// module is inlined into the CLI bundle (dist/src/cli/openclaw.bundle.js and .cjs) and that file is run directly.
if (import.meta.url === `file://${process.argv[1]}` && /\/generate-schema\.[jt]s$/.test(import.meta.url)) {
  const out = process.argv[2] ?? 'protocol.schema.json';
  writeFileSync(out, JSON.stringify(buildProtocolSchema(), null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}
