/** @module Renders docs/config-reference.md from the schema, so the reference cannot drift. */
import { writeFileSync } from 'node:fs';
import { listKeys } from './key-catalogue.js';
import { ENV_KEYS } from './env-layer.js';

export function renderConfigReference(): string {
  const rows = listKeys().map((k) => {
    const def = k.default === undefined ? '' : `\`${JSON.stringify(k.default)}\``;
    return `| \`${k.key}\` | ${k.type} | ${def} | ${k.unit ?? ''} | ${k.env ? `\`${k.env}\`` : ''} | ${k.description ?? ''} |`;
  });
  const env = ENV_KEYS.map(([name, key]) => `| \`${name}\` | \`${key}\` |`);
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run gen:docs`; do not edit by hand.',
    '',
    'Layers, later wins: defaults < config file (`~/.openclaw/config.yaml`, `--config` or `OPENCLAW_CONFIG`)',
    '< environment < CLI flags. `${VAR}` and `${VAR:-default}` in the file are expanded from the environment.',
    'Durations in config.yaml are seconds; node.yaml (see docs) uses milliseconds, as in the seed guide.',
    '',
    '| key | type | default | unit | env | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Environment variables',
    '',
    '| variable | key |',
    '| --- | --- |',
    ...env,
    '| `OPENCLAW_CONFIG` | path of the config file |',
    '| `OPENAI_API_KEY`, `OPENAI_BASE_URL` | the OpenAI provider |',
    '| `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` | the Anthropic provider |',
    '| `OLLAMA_HOST` | the Ollama provider |',
    '',
  ].join('\n');
}

// Run as a script (`npm run gen:docs`) only: the check on the file name keeps it from firing when this
// module is inlined into the CLI bundle (dist/src/cli/openclaw.bundle.js and .cjs) and that file is run directly.
if (import.meta.url === `file://${process.argv[1]}` && /\/generate-docs\.[jt]s$/.test(import.meta.url)) {
  const out = process.argv[2] ?? 'docs/config-reference.md';
  writeFileSync(out, renderConfigReference());
  process.stdout.write(`wrote ${out}\n`);
}
