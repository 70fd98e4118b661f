/** @module Unit tests of `doctor --production`: each check's pass/warn/fail on a fake host, and the /proc parsers. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, type ResolvedConfig } from '../../config/index.js';
import { productionChecks, secretBits, type ProductionCheck } from './doctor-production.js';
import {
  decodeProcAddress,
  parseFileLimit,
  parseProcNetTcp,
  type HostProbe,
  type Listener,
} from './doctor-production-probe.js';

const DATA = '/srv/oc/data';
const SECRET_FILE = `${DATA}/auth.secret`;
const CONFIG_FILE = '/srv/oc/config.yaml';

function config(over: Record<string, unknown> = {}): ResolvedConfig {
  return { ...ConfigSchema.parse(over), data_dir: DATA, log_dir: '/srv/oc/logs', config_path: CONFIG_FILE };
}

interface FakeHost {
  uid?: number;
  listener?: Partial<Listener>;
  limit?: number;
  files?: Record<string, string>;
  modes?: Record<string, number>;
  external?: string[];
  /** "host:port" strings that accept connections. */
  open?: string[];
}

function probe(h: FakeHost): HostProbe {
  return {
    uid: () => h.uid ?? 1000,
    listeners: (port) =>
      h.listener ? [{ address: '127.0.0.1', port, uid: 998, inode: 42, ...h.listener }] : [],
    pidOfSocket: (inode) => (inode === 42 ? 4242 : null),
    fileLimit: (pid) => (pid === 4242 && h.limit !== undefined ? { soft: h.limit, hard: h.limit } : null),
    userName: (uid) => ({ 0: 'root', 998: 'openclaw' })[uid] ?? null,
    externalAddresses: () => h.external ?? ['192.0.2.10'],
    accepts: async (host, port) =>
      (h.open ?? []).includes(`${host}:${port}`) || (host === '127.0.0.1' && h.listener !== undefined),
    readText: (p) => h.files?.[p] ?? null,
    stat: (p) => (h.modes?.[p] !== undefined ? { mode: h.modes[p]!, uid: 998 } : null),
  };
}

/** A host that passes everything: gateway as openclaw on loopback, strong generated secret, 0700. */
const good: FakeHost = {
  listener: { uid: 998 },
  limit: 65536,
  files: { [SECRET_FILE]: 'a3f9'.repeat(16), [CONFIG_FILE]: 'gateway:\n  host: 127.0.0.1\n' },
  modes: { [DATA]: 0o700, [SECRET_FILE]: 0o600 },
};

async function run(
  cfg: ResolvedConfig,
  h: FakeHost,
  env: NodeJS.ProcessEnv = {},
): Promise<Map<string, ProductionCheck>> {
  const checks = await productionChecks({ config: cfg, env, probe: probe(h), unitFiles: ['/etc/u.service'] });
  return new Map(checks.map((c) => [c.name.replace('production: ', ''), c]));
}

describe('doctor --production checks', () => {
  test('a well-set-up host passes every check', async () => {
    const r = await run(config({ gateway: { trusted_proxies: ['127.0.0.1'] } }), good);
    for (const [name, c] of r) assert.equal(c.status, 'pass', `${name}: ${c.detail}`);
    assert.match(r.get('user')!.detail, /uid 998 \(openclaw\)/);
    assert.equal(r.size, 9);
  });

  test('a gateway running as root fails, with the fix', async () => {
    const c = (await run(config(), { ...good, listener: { uid: 0 } })).get('user')!;
    assert.equal(c.status, 'fail');
    assert.match(c.fix ?? '', /useradd --system/);
  });

  test('without a running gateway the installed system unit decides, else this shell', async () => {
    const unit = '[Service]\nUser=root\nLimitNOFILE=65536\n[Install]\nWantedBy=multi-user.target\n';
    const byUnit = await run(config(), {
      ...good,
      listener: undefined,
      files: { ...good.files, '/etc/u.service': unit },
    });
    assert.equal(byUnit.get('user')!.status, 'fail');
    assert.match(byUnit.get('user')!.detail, /\/etc\/u\.service runs the gateway as root/);
    assert.equal(byUnit.get('open files')!.status, 'pass', 'LimitNOFILE of the unit counts');
    const shell = await run(config(), { ...good, listener: undefined, uid: 0 });
    assert.equal(shell.get('user')!.status, 'fail');
    assert.equal(shell.get('exposure')!.status, 'warn', 'nothing listens: cannot judge exposure');
  });

  test('bind: 0.0.0.0 without a trusted proxy fails, with one it warns', async () => {
    assert.equal((await run(config({ gateway: { host: '0.0.0.0' } }), good)).get('bind')!.status, 'fail');
    const proxied = await run(config({ gateway: { host: '0.0.0.0', trusted_proxies: ['10.0.0.2'] } }), good);
    assert.equal(proxied.get('bind')!.status, 'warn');
  });

  test('auth none fails; plain ws:// beyond loopback fails, on loopback it warns', async () => {
    assert.equal(
      (await run(config({ gateway: { auth: { mode: 'none' } } }), good)).get('auth')!.status,
      'fail',
    );
    assert.equal((await run(config({ gateway: { host: '0.0.0.0' } }), good)).get('tls')!.status, 'fail');
    assert.equal((await run(config(), good)).get('tls')!.status, 'warn');
  });

  test('exposure: the port answering on an own non-loopback address fails (warns behind a proxy)', async () => {
    const open = { ...good, open: ['192.0.2.10:18789'] };
    const c = (await run(config({ gateway: { host: '0.0.0.0' } }), open)).get('exposure')!;
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /answers on 192\.0\.2\.10:18789/);
    assert.match(c.fix ?? '', /nmap -p 18789,9090/);
    const behind = await run(config({ gateway: { host: '0.0.0.0', trusted_proxies: ['10.0.0.2'] } }), open);
    assert.equal(behind.get('exposure')!.status, 'warn');
    const v6 = await run(config(), { ...good, external: ['fd00::5'], open: ['fd00::5:9090'] });
    assert.match(v6.get('exposure')!.detail, /\[fd00::5\]:9090/, 'the metrics port counts too');
  });

  test('secret strength: short, repetitive or placeholder secrets fail; a 32-byte hex secret passes', async () => {
    const withSecret = (s: string) =>
      run(config({ gateway: { auth: { secret: s } } }), good, { OPENCLAW_AUTH_SECRET: s });
    assert.equal((await withSecret('aaaaaaaaaaaaaaaaaaaaaaaa')).get('secret')!.status, 'fail');
    assert.equal(
      (await withSecret('REPLACE_WITH_OUTPUT_OF_openssl_rand_hex_32')).get('secret')!.status,
      'fail',
    );
    const medium = await withSecret('correct-horse-battery-staple-9');
    assert.equal(medium.get('secret')!.status, 'warn', medium.get('secret')!.detail);
    const strong = await withSecret('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    assert.equal(strong.get('secret')!.status, 'pass');
    assert.match(strong.get('secret')!.detail, /from OPENCLAW_AUTH_SECRET: 64 characters, about 256 bits/);
    assert.doesNotMatch(strong.get('secret')!.detail, /9f86d0/, 'never prints the secret');
  });

  test('data dir: world access fails, group access warns', async () => {
    const world = await run(config(), { ...good, modes: { [DATA]: 0o755, [SECRET_FILE]: 0o600 } });
    assert.equal(world.get('data dir')!.status, 'fail');
    assert.match(world.get('data dir')!.fix ?? '', /chmod 700 \/srv\/oc\/data/);
    const group = await run(config(), { ...good, modes: { [DATA]: 0o750, [SECRET_FILE]: 0o640 } });
    assert.equal(group.get('data dir')!.status, 'warn');
  });

  test('open files below 65536 warn', async () => {
    const c = (await run(config(), { ...good, limit: 1024 })).get('open files')!;
    assert.equal(c.status, 'warn');
    assert.match(c.detail, /running gateway \(pid 4242\) may open only 1024 files/);
  });

  test('keys: literal credentials in config.yaml fail; ${VAR} references pass', async () => {
    const literal =
      'llm:\n  providers:\n    openai:\n      api_key: sk-live-123\ncluster:\n  redis_url: redis://:hunter2@redis:6379\n';
    const bad = (await run(config(), { ...good, files: { ...good.files, [CONFIG_FILE]: literal } })).get(
      'keys',
    )!;
    assert.equal(bad.status, 'fail');
    assert.match(bad.detail, /llm\.providers\.openai\.api_key, cluster\.redis_url/);
    assert.doesNotMatch(bad.detail, /sk-live|hunter2/);
    const ref = 'llm:\n  providers:\n    openai:\n      api_key: ${OPENAI_API_KEY}\n';
    const ok = await run(
      config(),
      { ...good, files: { ...good.files, [CONFIG_FILE]: ref } },
      { OPENAI_API_KEY: 'x' },
    );
    assert.equal(ok.get('keys')!.status, 'pass');
    assert.match(ok.get('keys')!.detail, /from the environment: OPENAI_API_KEY/);
  });

  test('keys: a world-readable EnvironmentFile of the unit fails', async () => {
    const unit = '[Service]\nUser=openclaw\nEnvironmentFile=/opt/oc/.env\n';
    const c = (
      await run(config(), {
        ...good,
        files: { ...good.files, '/etc/u.service': unit },
        modes: { ...good.modes, '/opt/oc/.env': 0o644 },
      })
    ).get('keys')!;
    assert.equal(c.status, 'fail');
    assert.match(c.fix ?? '', /chmod 600 \/opt\/oc\/\.env/);
  });
});

describe('native TLS certificate check', () => {
  let dir = '';
  const cert = (days: number) => {
    const c = join(dir, `c${days}.pem`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        '/CN=gw.test',
        '-keyout',
        join(dir, `k${days}.pem`),
        '-out',
        c,
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(c, 'utf8');
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-doctor-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a certificate valid for months passes, one expiring within 14 days warns, garbage fails', async () => {
    const cfg = config({ gateway: { tls: { enabled: true, cert: '/c.pem', key: '/k.pem' } } });
    const tls = async (text: string) =>
      (await run(cfg, { ...good, files: { ...good.files, '/c.pem': text } })).get('tls')!;
    const long = await tls(cert(90));
    assert.equal(long.status, 'pass', long.detail);
    assert.match(long.detail, /CN=gw\.test/);
    assert.equal((await tls(cert(3))).status, 'warn');
    assert.equal((await tls('not a certificate')).status, 'fail');
  });
});

describe('host probe parsers', () => {
  test('decodes /proc/net addresses, IPv4 and IPv6', () => {
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('00000000'), '0.0.0.0');
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
  });

  test('finds LISTEN sockets on a port with their uid and inode', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 5151 1 0 100 0 0 10 0',
      '   1: 0100007F:4965 0100007F:C350 01 00000000:00000000 00:00000000 00000000   998        0 5152 1 0 20 4 30 10 -1',
      '   2: 00000000:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6000 1 0 100 0 0 10 0',
    ].join('\n');
    assert.deepEqual(parseProcNetTcp(text, 18789), [
      { address: '127.0.0.1', port: 18789, uid: 998, inode: 5151 },
    ]);
    assert.deepEqual(parseProcNetTcp(text, 9090), [{ address: '0.0.0.0', port: 9090, uid: 0, inode: 6000 }]);
    assert.deepEqual(parseProcNetTcp('', 1), []);
  });

  test('reads "Max open files" from a limits file', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    assert.deepEqual(parseFileLimit(text), { soft: 1024, hard: 524288 });
    assert.deepEqual(parseFileLimit('Max open files unlimited unlimited files'), {
      soft: Infinity,
      hard: Infinity,
    });
    assert.equal(parseFileLimit('nothing here'), null);
  });

  test('secretBits scores alphabet and variety', () => {
    assert.equal(secretBits(''), 0);
    assert.equal(secretBits('ab'.repeat(32)), 64, 'two distinct characters: one bit each');
    assert.equal(secretBits('0123456789abcdef'.repeat(4)), 256);
  });
});
