/** @module Tests of the shell policy: command-name extraction, the default deny list, allow lists. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../protocol/index.js';
import { scrubEnv } from './shell-env.js';
import { compileShellPolicy } from './shell-policy.js';
import { commandNames, splitCommands } from './shell-words.js';

function deniedBy(check: (c: string) => void, command: string): string | undefined {
  try {
    check(command);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof GatewayError && err.code === 'GW_ERR_SKILL_DENIED', String(err));
    return String(err.details.rule);
  }
}

describe('commandNames', () => {
  test('finds every program of a pipeline, list and substitution', () => {
    assert.deepEqual(commandNames('ls -la | grep x && echo "$(date)" ; `whoami`'), [
      'ls',
      'grep',
      'echo',
      'date',
      'whoami',
    ]);
  });

  test('looks through assignments, wrappers, paths and sh -c', () => {
    assert.deepEqual(commandNames('FOO=1 sudo -n /usr/bin/env BAR=2 nice -n 5 rm x'), [
      'sudo',
      'env',
      'nice',
      'rm',
    ]);
    assert.deepEqual(commandNames(`bash -lc 'echo a; curl x'`), ['bash']);
    assert.deepEqual(commandNames(`bash -c 'echo a; curl x'`), ['bash', 'echo', 'curl']);
    assert.deepEqual(commandNames(`eval "touch f; id"`), ['eval', 'touch', 'id']);
  });

  test('quoted operators and redirection targets are not commands', () => {
    assert.deepEqual(commandNames(`echo "a; b | c" 'd && e' > out.txt 2>&1`), ['echo']);
    assert.deepEqual(splitCommands(`grep -c x <in.txt >>log`), [['grep', '-c', 'x']]);
  });
});

describe('compileShellPolicy', () => {
  const check = compileShellPolicy();

  test('default deny catches the destructive classics', () => {
    for (const command of [
      'rm -rf /',
      'rm -rf / ',
      'rm -fr /*',
      'rm -r -f ~',
      'rm -rf $HOME',
      'rm -rf "/"',
      'cd /tmp && rm -rf --no-preserve-root /',
      'mkfs -t ext4 /dev/sdb',
      'mkfs.xfs /dev/nvme0n1',
      '/sbin/shutdown now',
      'sudo halt',
      'systemctl reboot',
      'init 0',
      ':(){ :|:& };:',
      'bomb(){ bomb|bomb& }; bomb',
      'dd if=/dev/urandom of=/dev/sda',
      'cat /dev/zero > /dev/sda',
      'chmod -R 777 /',
      'chown -R nobody /',
    ]) {
      assert.notEqual(deniedBy(check, command), undefined, `should deny: ${command}`);
    }
  });

  test('default deny lets ordinary commands through', () => {
    for (const command of [
      'rm -rf ./build',
      'rm -rf /tmp/work/x',
      'rm -rf ~/project/tmp',
      'grep -r halt logs/',
      'echo "remember to reboot later"',
      'dd if=/dev/zero of=./disk.img bs=1M count=1',
      'dd if=x of=/dev/null',
      'chmod -R 755 ./site',
      'ls / && df -h',
      'git commit -m "fix init 0 bug"',
    ]) {
      assert.equal(deniedBy(check, command), undefined, `should allow: ${command}`);
    }
  });

  test('defaultDeny false leaves only the configured rules', () => {
    const loose = compileShellPolicy({ deny: ['curl'] }, false);
    assert.equal(deniedBy(loose, 'shutdown now'), undefined);
    assert.equal(deniedBy(loose, 'curl -s x | sh'), 'curl');
  });

  test('regex rules match the whole command line; name rules only programs', () => {
    const p = compileShellPolicy({ deny: ['wget', String.raw`\bsecret\.txt\b`] });
    assert.equal(deniedBy(p, 'cat secret.txt'), String.raw`\bsecret\.txt\b`);
    assert.equal(deniedBy(p, 'echo wget'), undefined);
    assert.equal(deniedBy(p, 'echo x | /usr/bin/wget -q y'), 'wget');
  });

  test('an allow list needs every program allowed, or a whole-line regex match', () => {
    const p = compileShellPolicy({ allow: ['ls', 'wc', '^make( [a-z]+)?$'] });
    assert.equal(deniedBy(p, 'ls | wc -l'), undefined);
    assert.equal(deniedBy(p, 'make test'), undefined);
    assert.equal(deniedBy(p, 'ls; curl evil'), 'allow');
    assert.equal(deniedBy(p, 'make test; rm x'), 'allow');
    assert.equal(deniedBy(p, 'ls "$(cat /etc/shadow)"'), 'allow');
  });

  test('an invalid regex is a configuration error at compile time', () => {
    assert.throws(
      () => compileShellPolicy({ deny: ['(unclosed'] }),
      (e: unknown) =>
        e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_INVALID' && /unclosed/.test(e.message),
    );
  });
});

describe('scrubEnv', () => {
  test('removes named secrets and credential-shaped names, keeps the rest', () => {
    const env = scrubEnv(
      {
        PATH: '/bin',
        HOME: '/home/x',
        OPENAI_API_KEY: 'a',
        ANTHROPIC_API_KEY: 'b',
        OPENCLAW_AUTH_SECRET: 'c',
        OPENCLAW_WORKSPACE_ENCRYPTION_KEY: 'd',
        GITHUB_TOKEN: 'e',
        openclaw_auth_token: 'f',
        JWT_SECRET: 'g',
        SOME_API_KEY: 'h',
        DB_PASSWORD: 'i',
        UNSET: undefined,
        TOKENIZER_MODE: 'fast',
      },
      ['GITHUB_TOKEN'],
    );
    assert.deepEqual(env, { PATH: '/bin', HOME: '/home/x', GITHUB_TOKEN: 'e', TOKENIZER_MODE: 'fast' });
  });
});
