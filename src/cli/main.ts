/** @module The `openclaw` command line. */
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../config/index.js';
import { CliExit, EXIT, exitCodeFor } from './exit-codes.js';
import { printError } from './output.js';
import { isLongRunning } from './long-running.js';

type Register = (program: Command) => void;

/**
 * Top-level commands in help order, each loaded on demand: the gateway and node commands pull in the
 * skills (playwright-core), which would add most of a second to every `config get` or `token create`.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['gateway', async () => (await import('./commands/gateway.js')).registerGatewayCommands],
  ['task', async () => (await import('./commands/task.js')).registerTaskCommands],
  ['node', async () => (await import('./commands/node.js')).registerNodeCommands],
  ['cron', async () => (await import('./commands/cron.js')).registerCronCommands],
  ['workspace', async () => (await import('./commands/workspace.js')).registerWorkspaceCommands],
  ['backup', async () => (await import('./commands/backup.js')).registerBackupCommands],
  ['store', async () => (await import('./commands/backup.js')).registerStoreCommands],
  ['config', async () => (await import('./commands/config.js')).registerConfigCommands],
  ['token', async () => (await import('./commands/token.js')).registerTokenCommands],
  ['doctor', async () => (await import('./commands/doctor.js')).registerDoctorCommand],
  ['logs', async () => (await import('./commands/logs.js')).registerLogsCommand],
];

/** Builds the program with only the command named in `argv` (all of them for help or an unknown name). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('openclaw')
    .description('OpenClaw Gateway: the single entry point of an OpenClaw agent system')
    .version(PACKAGE_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted = COMMANDS.filter(([n]) => n === name);
  for (const [, load] of wanted.length > 0 ? wanted : COMMANDS) (await load())(program);
  // Usage errors exit 2 (PROTOCOL), not commander's default 1.
  const exitOverride = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.OK;
      return EXIT.USAGE;
    }
    if (!(err instanceof CliExit) || err.message) printError(err);
    return exitCodeFor(err);
  }
}

// No top-level await: the bundle of this module is CommonJS (scripts/bundle.mjs, for its code cache).
void main(process.argv).then((code) => {
  // Long-running commands (gateway start, node start) keep running and exit on signals; everything
  // else exits now, once stdout has drained, so a stray handle can never hang a crontab entry.
  if (!isLongRunning() || code !== EXIT.OK) process.stdout.write('', () => process.exit(code));
});
