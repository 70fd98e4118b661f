/** @module deploy/sysctl/99-openclaw.conf (seed 11.5) and deploy/firewall.md (seed 4.4). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readDeploy } from './support/repo.js';

/** Active `key = value` lines of a sysctl.d file. */
function sysctlEntries(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
    .map((l) => {
      const m = /^([a-z0-9_.-]+)\s*=\s*(\S+)$/.exec(l);
      assert.ok(m, `not a sysctl assignment: ${l}`);
      return [m[1] as string, m[2] as string];
    });
}

describe('sysctl settings', () => {
  const text = readDeploy('sysctl', '99-openclaw.conf');
  const entries = sysctlEntries(text);

  test('sets the seed 11.5 network parameters to whole numbers', () => {
    const byKey = new Map(entries);
    assert.deepEqual(
      [
        'net.core.somaxconn',
        'net.ipv4.tcp_max_syn_backlog',
        'net.core.rmem_max',
        'net.core.wmem_max',
        'net.ipv4.tcp_fin_timeout',
      ].map((k) => [k, byKey.get(k)]),
      [
        ['net.core.somaxconn', '65535'],
        ['net.ipv4.tcp_max_syn_backlog', '65535'],
        ['net.core.rmem_max', '16777216'],
        ['net.core.wmem_max', '16777216'],
        ['net.ipv4.tcp_fin_timeout', '15'],
      ],
    );
    for (const [k, v] of entries) assert.match(v, /^\d+$/, k);
  });

  test('names only parameters this kernel knows (every key exists under /proc/sys)', () => {
    for (const [k] of entries) assert.ok(existsSync(`/proc/sys/${k.replaceAll('.', '/')}`), k);
  });

  test('does not lower fs.file-max below what the running kernel has', () => {
    // systemd raises fs.file-max to the maximum at boot, so the seed's fixed 1000000 would shrink
    // it; the shipped file leaves the line commented, and an activated one must not go below today's.
    const current = Number(readFileSync('/proc/sys/fs/file-max', 'utf8').trim());
    const active = entries.find(([k]) => k === 'fs.file-max');
    if (active) assert.ok(Number(active[1]) >= current, `fs.file-max = ${active[1]} would lower ${current}`);
    else assert.match(text, /^# fs\.file-max = 1000000$/m);
  });
});

describe('firewall notes', () => {
  const md = readDeploy('firewall.md');

  test('carry the seed 4.4 ufw rules, blocking the gateway port', () => {
    for (const rule of [
      'ufw allow 22/tcp',
      'ufw allow 80/tcp',
      'ufw allow 443/tcp',
      'ufw deny 18789/tcp',
      'ufw enable',
    ])
      assert.ok(md.includes(`sudo ${rule}`), rule);
  });

  test('carry the seed 4.4 firewalld rules, removing the gateway port', () => {
    for (const rule of [
      'firewall-cmd --permanent --add-service=ssh',
      'firewall-cmd --permanent --add-service=http',
      'firewall-cmd --permanent --add-service=https',
      'firewall-cmd --permanent --remove-port=18789/tcp',
      'firewall-cmd --reload',
    ])
      assert.ok(md.includes(`sudo ${rule}`), rule);
  });

  test('warn that Docker-published ports bypass ufw and keep the metrics port closed', () => {
    assert.match(md, /Docker publishes container ports through its own iptables chains/);
    assert.ok(md.includes('ufw deny 9090/tcp'));
  });
});
