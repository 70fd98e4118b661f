/**
 * @module `openclaw gateway install|uninstall`: writes (or removes) a systemd unit made from
 * deploy/systemd/openclaw-gateway.service, with ExecStart pointing at this installation.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { PACKAGE_VERSION } from '../../config/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printLine } from '../output.js';

export const UNIT_NAME = 'openclaw-gateway.service';

/** Where this copy of openclaw lives: what ExecStart runs. */
export interface Installation {
  /** Package root (holds package.json, bin/, deploy/, docs/). */
  packageRoot: string;
  /** The Node.js binary running this CLI; ExecStart names it so that PATH (nvm, ...) does not matter. */
  node: string;
  /** `bin/openclaw.js` of the package. */
  bin: string;
}

export interface UnitOptions {
  /** A system unit (runs as `user`) instead of a unit of the calling user's manager. Default false. */
  system?: boolean;
  /** User= of a system unit. Default `openclaw`, the dedicated user of seed 3.5. */
  user?: string;
  install: Installation;
}

export interface UnitLocation {
  /** A system unit. Default false. */
  system?: boolean;
  /** Prefix of the system path, for packaging and tests. Default `/`. */
  root?: string;
  /** Home of the user unit. Default `os.homedir()`. */
  home?: string;
  /** Default `$XDG_CONFIG_HOME`, else `<home>/.config`. */
  xdgConfigHome?: string | undefined;
}

/** The package root above this module, in both layouts (dist/src/cli/commands and src/cli/commands). */
export function thisInstallation(): Installation {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'openclaw')
      return { packageRoot: dir, node: process.execPath, bin: join(dir, 'bin', 'openclaw.js') };
    const up = dirname(dir);
    if (up === dir) throw new CliExit(EXIT.USAGE, 'cannot find the openclaw package root above the CLI');
    dir = up;
  }
}

export function unitPath(loc: UnitLocation): string {
  if (loc.system) return join(resolve(loc.root ?? '/'), 'etc', 'systemd', 'system', UNIT_NAME);
  const home = loc.home ?? homedir();
  return join(loc.xdgConfigHome || join(home, '.config'), 'systemd', 'user', UNIT_NAME);
}

/** systemd splits ExecStart on spaces; a path with spaces (or quotes) must be double-quoted. */
function quoteArg(arg: string): string {
  return /[\s"'\\]/.test(arg) ? `"${arg.replace(/(["\\])/g, '\\$1')}"` : arg;
}

/**
 * Sandboxing that needs a mount namespace or capabilities: fine for the system manager, but a user
 * manager without unprivileged user namespaces fails such a unit at start (status 218/CAPABILITIES
 * or 226/NAMESPACE), so user units leave them out and keep the seccomp-based ones.
 */
const SYSTEM_ONLY_KEYS = new Set([
  'User',
  'Group',
  'CapabilityBoundingSet',
  'AmbientCapabilities',
  'ProtectSystem',
  'ProtectHome',
  'ReadWritePaths',
  'LogsDirectory',
  'LogsDirectoryMode',
  'PrivateTmp',
  'PrivateMounts',
  'PrivateDevices',
  'ProtectProc',
  'ProtectKernelTunables',
  'ProtectKernelModules',
  'ProtectKernelLogs',
  'ProtectControlGroups',
  'ProtectClock',
  'ProtectHostname',
  'RemoveIPC',
]);

/** Paths ProtectHome=true hides from a system service. */
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/'];

/**
 * Renders the unit. A system unit keeps the template's comments (a comment belongs to the directive
 * below it and goes when that is dropped). A user unit differs in so many lines that the template's
 * comments would mislead, so it carries only its own header.
 */
export function renderUnit(template: string, o: UnitOptions): { text: string; notes: string[] } {
  const notes: string[] = [];
  const { install } = o;
  const user = o.user ?? 'openclaw';
  const underHome = [install.node, install.packageRoot].some((p) =>
    HOME_PREFIXES.some((h) => p.startsWith(h)),
  );
  const lines = template.split('\n');
  const firstSection = lines.findIndex((l) => l.startsWith('['));
  const out: string[] = [
    `# ${o.system ? 'System' : 'User'} unit written by \`openclaw gateway install${o.system ? ' --system' : ''}\` (openclaw ${PACKAGE_VERSION})`,
    `# from ${join(install.packageRoot, 'deploy', 'systemd', UNIT_NAME)}.`,
    '# Re-run it after moving or upgrading Node.js or openclaw; `openclaw gateway uninstall` removes it.',
    ...(o.system
      ? ['# Before the first start create the user and directories it names (docs/deployment.md, "systemd").']
      : [
          '# It runs as you with the defaults of the CLI (~/.openclaw/config.yaml, data and logs under',
          '# ~/.openclaw), and optional secrets in ~/.openclaw/.env. The namespace sandbox of the system unit',
          '# (ProtectSystem=strict, PrivateTmp, ...) is left out: a user manager cannot set it up without',
          '# unprivileged user namespaces. For production prefer `openclaw gateway install --system`.',
        ]),
    '',
  ];
  let comments: string[] = [];
  const emit = (line: string) => {
    out.push(...comments, line);
    comments = [];
  };
  for (const line of lines.slice(Math.max(firstSection, 0))) {
    if (/^\s*[#;]/.test(line)) {
      if (o.system) comments.push(line);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv) {
      emit(line);
      continue;
    }
    const [, key = '', value = ''] = kv;
    const keep = (v: string) => emit(`${key}=${v}`);
    const drop = () => (comments = []);
    if (key === 'ExecStart') {
      comments = o.system
        ? ["# This installation's Node.js and openclaw, so PATH (nvm, ...) does not matter."]
        : [];
      keep(`${quoteArg(install.node)} ${quoteArg(install.bin)} gateway start --headless`);
    } else if (key === 'Documentation') {
      keep(`file://${join(install.packageRoot, 'docs', 'deployment.md')}`);
    } else if (o.system) {
      if (key === 'User') keep(user);
      // Without Group= systemd uses the user's primary group, right for any user but openclaw's.
      else if (key === 'Group' && user !== 'openclaw') drop();
      else if (key === 'ProtectHome' && underHome) {
        keep('read-only');
        notes.push(
          `ProtectHome=read-only instead of true: this installation (${install.node}, ${install.packageRoot}) lives under a home directory`,
        );
      } else keep(value);
    } else if (SYSTEM_ONLY_KEYS.has(key)) drop();
    else if ((key === 'After' || key === 'Wants') && value === 'network-online.target') drop();
    else if (key === 'WorkingDirectory') keep('%h');
    // The defaults (~/.openclaw/...) are what the local CLI looks at to find the gateway and its secret.
    else if (key === 'Environment' && /OPENCLAW_(DATA_DIR|LOG_DIR|CONFIG)=/.test(value)) drop();
    else if (key === 'EnvironmentFile') keep('-%h/.openclaw/.env');
    else if (key === 'WantedBy') keep('default.target');
    else keep(value);
  }
  out.push(...comments);
  return { text: `${out.join('\n').replace(/\n+$/, '')}\n`, notes };
}

function nextSteps(system: boolean, user: string): string[] {
  if (!system)
    return [
      'systemctl --user daemon-reload',
      'systemctl --user enable --now openclaw-gateway',
      'loginctl enable-linger "$USER"     # keep it running without a login session',
      'journalctl --user -u openclaw-gateway -f',
    ];
  return [
    ...(user === 'openclaw'
      ? ['sudo useradd --system --home-dir /opt/openclaw --shell /usr/sbin/nologin openclaw']
      : []),
    `sudo install -d -o ${user} -m 0750 /opt/openclaw /opt/openclaw/config`,
    `sudo install -d -o ${user} -m 0700 /opt/openclaw/data`,
    'sudo install -m 0600 /dev/null /opt/openclaw/.env      # secrets: OPENCLAW_AUTH_SECRET=..., OPENAI_API_KEY=...',
    'sudo systemctl daemon-reload',
    'sudo systemctl enable --now openclaw-gateway',
    'sudo journalctl -u openclaw-gateway -f',
  ];
}

interface InstallFlags {
  system?: boolean;
  user?: string;
  dryRun?: boolean;
  root?: string;
}

function writeError(path: string, err: unknown, system: boolean): CliExit {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? system
        ? ': permission denied; a system unit needs root (sudo openclaw gateway install --system)'
        : ': permission denied'
      : `: ${code ?? String(err)}`;
  return new CliExit(EXIT.USAGE, `cannot write ${path}${hint}`);
}

function install(flags: InstallFlags): void {
  if (flags.user !== undefined && !flags.system)
    throw new CliExit(EXIT.USAGE, '--user goes with --system (a user unit runs as you)');
  if (flags.user !== undefined && !/^[a-z_][a-z0-9_-]*\$?$/i.test(flags.user))
    throw new CliExit(EXIT.USAGE, `--user ${flags.user}: not a valid user name`);
  if (flags.user === 'root')
    throw new CliExit(
      EXIT.USAGE,
      '--user root: the gateway must not run as root; use a dedicated user (seed 11.1)',
    );
  if (flags.root !== undefined && !flags.system) throw new CliExit(EXIT.USAGE, '--root goes with --system');
  const inst = thisInstallation();
  const templatePath = join(inst.packageRoot, 'deploy', 'systemd', UNIT_NAME);
  const system = Boolean(flags.system);
  const user = flags.user ?? 'openclaw';
  const { text, notes } = renderUnit(readFileSync(templatePath, 'utf8'), { system, user, install: inst });
  const path = unitPath({ system, root: flags.root, xdgConfigHome: process.env.XDG_CONFIG_HOME });
  if (flags.dryRun) {
    // The unit alone on stdout, so `--dry-run > file` gives a usable unit.
    process.stdout.write(text);
    process.stderr.write(`(dry run: would write ${path})\n`);
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    return;
  }
  const existed = existsSync(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { mode: 0o644 });
  } catch (err) {
    throw writeError(path, err, system);
  }
  printLine(`${existed ? 'updated' : 'wrote'} ${path}`);
  for (const n of notes) printLine(`note: ${n}`);
  printLine('next:');
  for (const step of nextSteps(system, user)) printLine(`  ${step}`);
}

/** Removes the unit and the `*.wants/` links `systemctl enable` made for it (what `disable` removes). */
function uninstall(flags: Omit<InstallFlags, 'user'>): void {
  if (flags.root !== undefined && !flags.system) throw new CliExit(EXIT.USAGE, '--root goes with --system');
  const system = Boolean(flags.system);
  const path = unitPath({ system, root: flags.root, xdgConfigHome: process.env.XDG_CONFIG_HOME });
  const dir = dirname(path);
  const links = existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => d.endsWith('.wants'))
        .map((d) => join(dir, d, UNIT_NAME))
        .filter((l) => {
          try {
            return lstatSync(l).isSymbolicLink();
          } catch {
            return false;
          }
        })
    : [];
  const targets = [...(existsSync(path) ? [path] : []), ...links];
  const ctl = system ? 'sudo systemctl' : 'systemctl --user';
  if (targets.length === 0) {
    printLine(`not installed: ${path} does not exist`);
    return;
  }
  for (const t of targets) {
    if (flags.dryRun) printLine(`would remove ${t}`);
    else {
      try {
        rmSync(t, { force: true });
      } catch (err) {
        throw writeError(t, err, system);
      }
      printLine(`removed ${t}`);
    }
  }
  if (!flags.dryRun) {
    printLine('next (a running gateway keeps running until stopped):');
    printLine(`  ${ctl} stop openclaw-gateway`);
    printLine(`  ${ctl} daemon-reload`);
  }
}

export function registerInstallCommands(gateway: Command): void {
  gateway
    .command('install')
    .description(
      'write a systemd unit for this installation: ~/.config/systemd/user/ (default) or /etc/systemd/system/ (--system)',
    )
    .option('--system', 'a system unit, run as a dedicated user (needs root)')
    .option('--user <name>', 'User= of the system unit (default openclaw)')
    .option('--root <dir>', 'prefix of /etc/systemd/system, for packaging (default /)')
    .option('--dry-run', 'print the unit instead of writing it')
    .action(install);
  gateway
    .command('uninstall')
    .description('remove the unit that `openclaw gateway install` wrote (and its enable links)')
    .option('--system', 'the system unit')
    .option('--root <dir>', 'prefix of /etc/systemd/system (default /)')
    .option('--dry-run', 'list what would be removed')
    .action(uninstall);
}
