/** @module The shell skill's allow/deny policy, checked before anything is spawned. */
import { GatewayError } from '../protocol/index.js';
import { commandNames } from './shell-words.js';

/**
 * Which commands the shell skill may run. A rule that looks like a program name (`git`, `mkfs.ext4`)
 * matches when that program is run anywhere in the command line (also behind `sudo`, `env`,
 * `sh -c`, pipes and `$( )`); any other rule is a regular expression tested against the whole
 * command line. Deny wins over allow. This guards against mistakes and careless prompts; it is not a
 * sandbox, since a determined command can hide what it runs.
 */
export interface ShellPolicy {
  /**
   * When given and non-empty, a command must match an allow regex as a whole, or every program it
   * runs must be an allowed name. Default: everything not denied is allowed.
   */
  allow?: readonly string[];
  /** Added to `DEFAULT_SHELL_DENY` (unless the skill's `defaultDeny` is false). Default `[]`. */
  deny?: readonly string[];
}

/** Obviously destructive commands, refused unless `defaultDeny: false`. */
export const DEFAULT_SHELL_DENY: readonly string[] = [
  // rm aimed at the root or the home directory itself (not at paths below them).
  String.raw`\brm\s+(?:-[-\w]*\s+)*(?:--\s+)?["']?(?:/+|/\*|~/?\*?|\$\{?HOME\}?/?\*?)["']?(?:\s|$|[;&|)])`,
  String.raw`--no-preserve-root`,
  String.raw`\bmkfs(?:\.\w+)?\b`,
  'wipefs',
  'shutdown',
  'reboot',
  'halt',
  'poweroff',
  // init/telinit only in command position, so `git commit -m "fix init 0"` is not caught.
  String.raw`(?:^|[;&|(\x60]|\$\(|\bsudo)\s*(?:\S*/)?(?:tel)?init\s+[06](?:\s|$|[;&|)])`,
  String.raw`\bsystemctl\s+(?:\S+\s+)*(?:poweroff|reboot|halt|kexec)\b`,
  // Fork bombs: a function that pipes into itself in the background, `:(){ :|:& };:` and renamings.
  String.raw`([A-Za-z_:][\w:]*)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1\s*&`,
  String.raw`\bdd\b[^;&|]*\bof=/dev/(?!null\b|zero\b|stdout\b|stderr\b|fd/)`,
  String.raw`>\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|dm-|md)\w*`,
  String.raw`\bshred\b[^;&|]*/dev/`,
  String.raw`\bch(?:mod|own|grp)\b[^;&|]*\s-\w*R[^;&|]*\s["']?/["']?(?:\s|$|[;&|])`,
];

const NAME_RULE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

type Rule = { text: string; name: string } | { text: string; re: RegExp };

function compile(rules: readonly string[], kind: string): Rule[] {
  return rules.map((text) => {
    if (NAME_RULE.test(text)) return { text, name: text };
    try {
      return { text, re: new RegExp(text) };
    } catch (err) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', {
        reason: `shell ${kind} rule ${JSON.stringify(text)} is not a valid regular expression: ${(err as Error).message}`,
      });
    }
  });
}

function matches(rule: Rule, command: string, names: readonly string[]): boolean {
  return 'name' in rule ? names.includes(rule.name) : rule.re.test(command);
}

/** A compiled policy: throws `GW_ERR_SKILL_DENIED` naming the rule, or returns when allowed. */
export type ShellPolicyCheck = (command: string) => void;

/**
 * Compiles a policy once (an invalid regex is a `GW_ERR_CONFIG_INVALID` at start-up, not a surprise
 * on the first call). `defaultDeny` (default `true`) puts `DEFAULT_SHELL_DENY` in front of `deny`.
 */
export function compileShellPolicy(policy: ShellPolicy = {}, defaultDeny = true): ShellPolicyCheck {
  const deny = compile([...(defaultDeny ? DEFAULT_SHELL_DENY : []), ...(policy.deny ?? [])], 'deny');
  const allow = compile(policy.allow ?? [], 'allow');
  return (command) => {
    const names = commandNames(command);
    for (const rule of deny) {
      if (matches(rule, command, names)) {
        throw new GatewayError('GW_ERR_SKILL_DENIED', {
          skill: 'shell',
          rule: rule.text,
          reason: `command denied by shell deny rule ${JSON.stringify(rule.text)}`,
        });
      }
    }
    if (allow.length === 0) return;
    if (allow.some((r) => 're' in r && r.re.test(command))) return;
    const allowedNames = new Set(allow.flatMap((r) => ('name' in r ? [r.name] : [])));
    const outside = names.find((n) => !allowedNames.has(n));
    if (outside !== undefined || names.length === 0) {
      throw new GatewayError('GW_ERR_SKILL_DENIED', {
        skill: 'shell',
        rule: 'allow',
        program: outside ?? null,
        reason:
          outside === undefined
            ? 'command runs no recognisable program, and the shell allow list requires one'
            : `program ${JSON.stringify(outside)} is not in the shell allow list`,
      });
    }
  };
}
