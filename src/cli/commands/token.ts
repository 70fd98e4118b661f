/** @module `openclaw token create|revoke`: bearer tokens signed with the gateway's secret. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { ROLES, type Role } from '../../protocol/index.js';
import { openGatewayStores, createTokenService, parseTtl, resolveAuthSecret } from '../../gateway/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('issue and revoke bearer tokens');
  token
    .command('create')
    .description('issue a token for a node, an operator or an admin (printed once; store it safely)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--ttl <duration>', 'lifetime, e.g. 30d, 12h, 15m, 3600s (default: until revoked)')
    .option('--subject <name>', 'who the token is for (a node id, a person)')
    .option('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { role: string; ttl?: string; subject?: string; config?: string; json?: boolean }) => {
        if (!(ROLES as readonly string[]).includes(opts.role)) {
          throw new CliExit(EXIT.USAGE, `--role ${opts.role} is not allowed; use one of ${ROLES.join(', ')}`);
        }
        const cfg = loadConfig(opts.config ? { configPath: opts.config } : {});
        const { secret } = await resolveAuthSecret({
          configured: cfg.gateway.auth.secret,
          dataDir: cfg.data_dir,
        });
        const stores = await openGatewayStores(cfg);
        try {
          const svc = createTokenService({ secret, revocations: stores.revocations });
          const issued = svc.issue({
            role: opts.role as Role,
            ...(opts.ttl ? { ttlSeconds: parseTtl(opts.ttl) } : {}),
            ...(opts.subject ? { subject: opts.subject } : {}),
          });
          if (opts.json) printJson(issued);
          else {
            printLine(issued.token);
            process.stderr.write(
              `role ${issued.role}, id ${issued.jti}, expires ${issued.expires_at ?? 'never'}\n`,
            );
          }
        } finally {
          await stores.close();
        }
      },
    );
  token
    .command('revoke <tokenOrId>')
    .description('revoke a token (give the token itself or its id); takes effect on its next use')
    .option('--reason <text>', 'why, kept with the revocation')
    .option('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(async (tokenOrId: string, opts: { reason?: string; config?: string; json?: boolean }) => {
      const cfg = loadConfig(opts.config ? { configPath: opts.config } : {});
      const { secret } = await resolveAuthSecret({
        configured: cfg.gateway.auth.secret,
        dataDir: cfg.data_dir,
      });
      const stores = await openGatewayStores(cfg);
      try {
        const svc = createTokenService({ secret, revocations: stores.revocations });
        const out = await svc.revoke(tokenOrId, opts.reason);
        if (opts.json) printJson({ revoked: true, ...out });
        else printLine(`revoked ${out.jti}`);
      } finally {
        await stores.close();
      }
    });
}
