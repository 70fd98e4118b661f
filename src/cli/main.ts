/** @module The `openclaw` command line. */
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../config/index.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerGatewayCommands } from './commands/gateway.js';
import { registerTokenCommands } from './commands/token.js';
import { registerTaskCommands } from './commands/task.js';
import { registerNodeCommands } from './commands/node.js';
import { registerCronCommands } from './commands/cron.js';
import { CliExit, EXIT, exitCodeFor } from './exit-codes.js';
import { printError } from './output.js';
import { isLongRunning } from './long-running.js';

export function buildProgram(): Command {
  const program = new Command('openclaw')
    .description('OpenClaw Gateway: the single entry point of an OpenClaw agent system')
    .version(PACKAGE_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  registerGatewayCommands(program);
  registerTaskCommands(program);
  registerNodeCommands(program);
  registerCronCommands(program);
  registerConfigCommands(program);
  registerTokenCommands(program);
  registerDoctorCommand(program);
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
    await buildProgram().parseAsync(argv);
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

const code = await main(process.argv);
// Long-running commands (gateway start, node start) keep running and exit on signals; everything
// else exits now, once stdout has drained, so a stray handle can never hang a crontab entry.
if (!isLongRunning() || code !== EXIT.OK) process.stdout.write('', () => process.exit(code));
