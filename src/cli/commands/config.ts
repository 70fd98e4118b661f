/** @module `openclaw config validate|get`: check a config and read one resolved key. */
import type { Command } from 'commander';
import { getPath, loadConfig } from '../../config/index.js';
import { isSensitiveKey } from '../../observability/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && key && isSensitiveKey(key.split('.').pop()!)) return '[REDACTED]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  return value;
}

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('validate')
    .description('load every layer (file, env, flags) and report the first problem, exit 2 if invalid')
    .option('--config <file>', 'config file (default ~/.openclaw/config.yaml or $OPENCLAW_CONFIG)')
    .option('--json', 'machine-readable output')
    .action((opts: { config?: string; json?: boolean }) => {
      const cfg = loadConfig(opts.config ? { configPath: opts.config } : {});
      if (opts.json) printJson({ valid: true, config_path: cfg.config_path });
      else
        printLine(
          `config ok${cfg.config_path ? ` (${cfg.config_path})` : ' (defaults and environment; no config file)'}`,
        );
    });
  config
    .command('get <key>')
    .description('print the resolved value of a dotted key, e.g. gateway.port (secrets are redacted)')
    .option('--config <file>', 'config file')
    .option('--json', 'print as JSON')
    .action((key: string, opts: { config?: string; json?: boolean }) => {
      const cfg = loadConfig(opts.config ? { configPath: opts.config } : {});
      const value = getPath(cfg, key);
      if (
        value === undefined &&
        !key.split('.').every((_, i, a) => getPath(cfg, a.slice(0, i + 1).join('.')) !== undefined)
      ) {
        throw new CliExit(EXIT.USAGE, `unknown or unset config key ${key}`);
      }
      const shown = redactSecrets(value, key);
      if (opts.json || (shown !== null && typeof shown === 'object')) printJson(shown ?? null);
      else printLine(shown === undefined ? '' : String(shown));
    });
}
