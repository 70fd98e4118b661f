/**
 * @module The Compose files (deploy/docker, deploy/monitoring), the gateway config and the env example
 * they use: structure per seed 5.2/10.2, network isolation, wiring between files, and
 * `docker compose config -q` where a Compose client is available.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { deployPath, readDeploy, repoRoot } from './support/repo.js';
import { makeTempDir, runTool } from './support/tools.js';
import { namesOfAssignments, unknownEnvNames } from './support/env-names.js';

/** Untyped YAML (manifests, Compose files). */
type Obj = Record<string, any>;

const gatewayCompose = parse(readDeploy('docker', 'docker-compose.yml')) as Obj;
const monitoringCompose = parse(readDeploy('monitoring', 'docker-compose.yml')) as Obj;
const gw = gatewayCompose.services['openclaw-gateway'] as Obj;
const nginx = gatewayCompose.services.nginx as Obj;
const certbot = gatewayCompose.services.certbot as Obj;
const networks = gatewayCompose.networks as Obj;
const netNames = (svc: Obj) => (Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {}));
const envMap = (svc: Obj) =>
  new Map(
    namesOfAssignments(svc.environment).map((k, i) => [k, svc.environment[i].split('=').slice(1).join('=')]),
  );

/** `{ ok: true }`, or why `docker compose` could not run at all (no plugin, no client). */
function composeConfig(file: string, cwd: string, env: NodeJS.ProcessEnv = {}) {
  const res = runTool('docker', ['compose', '-f', file, 'config', '-q'], { cwd, env });
  const unavailable =
    res.error !== undefined ||
    /unknown (shorthand flag|command)|is not a docker command|command not found/i.test(res.output);
  return { res, unavailable };
}

describe('docker-compose.yml (gateway + nginx + certbot)', () => {
  test('has the seed 5.2 services, with the gateway unpublished behind nginx', () => {
    assert.deepEqual(Object.keys(gatewayCompose.services).sort(), ['certbot', 'nginx', 'openclaw-gateway']);
    assert.equal(gatewayCompose.version, undefined, 'the obsolete version key makes Compose v2 warn');
    assert.equal(gw.ports, undefined, 'the gateway publishes no port on the host');
    assert.ok(gw.expose.includes('18789') && gw.expose.includes('9090'));
    assert.deepEqual(nginx.ports, ['80:80', '443:443']);
    assert.deepEqual(nginx.depends_on, { 'openclaw-gateway': { condition: 'service_healthy' } });
    assert.equal(gw.restart, 'unless-stopped');
    assert.match(certbot.entrypoint, /certbot renew --webroot -w \/var\/www\/certbot/);
  });

  test('isolates the gateway: internal network with nginx, egress-only network for the LLM APIs', () => {
    assert.equal(networks['openclaw-internal'].internal, true);
    assert.deepEqual(netNames(gw).sort(), ['openclaw-egress', 'openclaw-internal']);
    assert.notEqual(networks['openclaw-egress'].internal, true, 'the gateway must reach the providers');
    const egressUsers = Object.entries(gatewayCompose.services as Obj).filter(([, s]) =>
      netNames(s).includes('openclaw-egress'),
    );
    assert.deepEqual(
      egressUsers.map(([n]) => n),
      ['openclaw-gateway'],
    );
    assert.deepEqual(netNames(nginx).sort(), ['openclaw-external', 'openclaw-internal']);
    assert.deepEqual(netNames(certbot), ['openclaw-external']);
  });

  test('builds the image from the repository with the shipped Dockerfile', () => {
    const context = join(deployPath('docker'), gw.build.context);
    assert.equal(context, repoRoot());
    assert.ok(existsSync(join(context, gw.build.dockerfile)));
    assert.equal(gw.build.args.WITH_CHROMIUM, '0');
  });

  test('sets only SPEC environment variables and keeps secrets in .env.gateway', () => {
    assert.deepEqual(unknownEnvNames(namesOfAssignments(gw.environment)), []);
    const env = envMap(gw);
    assert.equal(env.get('OPENCLAW_HEADLESS'), 'true');
    assert.equal(env.get('OPENCLAW_GATEWAY_PORT'), '18789');
    assert.deepEqual(gw.env_file, ['.env.gateway']);
    for (const name of env.keys()) assert.doesNotMatch(name, /KEY|SECRET|TOKEN/);
  });

  test('persists data and logs in volumes and mounts config/ read-only where OPENCLAW_CONFIG points', () => {
    assert.ok(gw.volumes.includes('openclaw-data:/app/data'));
    assert.ok(gw.volumes.includes('openclaw-logs:/app/logs'));
    assert.ok(gw.volumes.includes('./config:/app/config:ro'));
    assert.equal(envMap(gw).get('OPENCLAW_CONFIG'), '/app/config/config.yaml');
    assert.ok(existsSync(deployPath('docker', 'config', 'config.yaml')));
    for (const v of nginx.volumes as string[]) {
      const src = v.split(':')[0] as string;
      if (src.startsWith('./')) assert.ok(existsSync(deployPath('docker', src)), v);
    }
  });

  test('config/config.yaml loads with the Compose env and trusts exactly nginx as proxy', () => {
    const tmp = makeTempDir();
    try {
      const file = deployPath('docker', 'config', 'config.yaml');
      const cfg = loadConfig({ configPath: file, env: Object.fromEntries(envMap(gw)), home: tmp.path });
      assert.equal(cfg.gateway.host, '0.0.0.0');
      assert.equal(cfg.gateway.port, 18789);
      const nginxIp = nginx.networks['openclaw-internal'].ipv4_address;
      assert.deepEqual(cfg.gateway.trusted_proxies, [nginxIp]);
      const subnet = networks['openclaw-internal'].ipam.config[0];
      const prefix = (subnet.subnet as string).split('.').slice(0, 3).join('.');
      for (const ip of [nginxIp, gw.networks['openclaw-internal'].ipv4_address]) {
        assert.ok(ip.startsWith(`${prefix}.`), `${ip} in ${subnet.subnet}`);
        assert.ok(Number(ip.split('.')[3]) < 128, `${ip} outside the dynamic range ${subnet.ip_range}`);
      }
      assert.equal(cfg.gateway.proxy_read_timeout, 3600, 'mirrors proxy_read_timeout of the nginx config');
      assert.ok(Number.parseInt(gw.stop_grace_period, 10) > cfg.gateway.drain_timeout);
    } finally {
      tmp.remove();
    }
  });

  test('the nginx upstream is the gateway service', () => {
    const conf = readDeploy('docker', 'nginx', 'conf.d', 'openclaw.conf');
    assert.match(conf, /^\s*server openclaw-gateway:18789;/m);
  });
});

describe('.env.gateway.example', () => {
  const text = readDeploy('docker', '.env.gateway.example');
  const lines = text.split('\n');

  test('names only variables the gateway reads (seed 5.3), every one commented out', () => {
    const active = lines.filter((l) => /^\s*[A-Za-z_]+=/.test(l));
    assert.deepEqual(active, [], 'an active empty or placeholder value would reach the container');
    const documented = lines.filter((l) => /^#\s?[A-Z_]+=/.test(l)).map((l) => l.replace(/^#\s?/, ''));
    const names = namesOfAssignments(documented);
    assert.deepEqual(unknownEnvNames(names), []);
    for (const seed of [
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'OPENCLAW_AUTH_SECRET',
      'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
      'OLLAMA_HOST',
    ])
      assert.ok(names.includes(seed), seed);
  });

  test('holds placeholders only, no real-looking secret', () => {
    assert.doesNotMatch(text, /sk-(ant-)?[A-Za-z0-9_-]{20,}/);
    assert.doesNotMatch(text, /=[A-Za-z0-9+/]{32,}={0,2}\s*$/m);
  });

  test('is committed while the real .env.gateway is ignored by git', () => {
    const ignored = (p: string) =>
      runTool('git', ['check-ignore', '-q', p], { cwd: repoRoot() }).status === 0;
    assert.equal(ignored('deploy/docker/.env.gateway.example'), false);
    assert.equal(ignored('deploy/docker/.env.gateway'), true);
  });
});

describe('monitoring/docker-compose.yml (Prometheus + Grafana)', () => {
  const prom = monitoringCompose.services.prometheus as Obj;
  const grafana = monitoringCompose.services.grafana as Obj;

  test('mounts prometheus.yml and the alert rules it loads', () => {
    assert.ok(prom.volumes.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    const promCfg = parse(readDeploy('monitoring', 'prometheus.yml')) as { rule_files: string[] };
    for (const rf of promCfg.rule_files) {
      assert.ok(prom.volumes.includes(`./${rf}:/etc/prometheus/${rf}:ro`), rf);
      assert.ok(existsSync(deployPath('monitoring', rf)));
    }
    assert.ok(prom.command.includes('--storage.tsdb.retention.time=30d'));
  });

  test("joins the gateway's internal network to scrape it, by its fixed name", () => {
    assert.deepEqual(monitoringCompose.networks['openclaw-internal'], {
      external: true,
      name: 'openclaw-internal',
    });
    assert.equal(networks['openclaw-internal'].name, 'openclaw-internal');
    assert.ok(prom.networks.includes('openclaw-internal'));
    assert.equal(grafana.networks.includes('openclaw-internal'), false, 'Grafana needs only Prometheus');
  });

  test('Grafana: password required, no anonymous access, loopback-only port, provisioning mounted', () => {
    assert.ok(
      grafana.environment.includes('GF_SECURITY_ADMIN_PASSWORD=${GRAFANA_PASSWORD:?set GRAFANA_PASSWORD}'),
    );
    assert.ok(grafana.environment.includes('GF_AUTH_ANONYMOUS_ENABLED=false'));
    assert.deepEqual(grafana.ports, ['127.0.0.1:3000:3000']);
    for (const v of grafana.volumes as string[]) {
      const src = v.split(':')[0] as string;
      if (src.startsWith('./')) assert.ok(existsSync(deployPath('monitoring', src)), v);
    }
  });
});

describe('docker compose config -q', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  before(() => {
    tmp = makeTempDir();
    // A copy, so the env file Compose insists on can exist without touching the repository; laid
    // out as deploy/<dir> so the build context ../.. and the Dockerfile path still resolve.
    cpSync(deployPath('docker'), join(tmp.path, 'deploy', 'docker'), { recursive: true });
    writeFileSync(join(tmp.path, 'deploy', 'docker', '.env.gateway'), '');
    cpSync(deployPath('monitoring'), join(tmp.path, 'deploy', 'monitoring'), { recursive: true });
  });
  after(() => tmp.remove());

  for (const [name, dir, env] of [
    ['gateway stack', 'docker', {}],
    ['monitoring stack', 'monitoring', { GRAFANA_PASSWORD: 'test-only' }],
  ] as const) {
    test(`accepts the ${name} (when a Compose client is installed)`, (t) => {
      const cwd = join(tmp.path, 'deploy', dir);
      const { res, unavailable } = composeConfig(join(cwd, 'docker-compose.yml'), cwd, env);
      if (unavailable) {
        t.diagnostic(
          `docker compose is not available here, validation not run: ${res.output.split('\n')[1] ?? ''}`,
        );
        return;
      }
      assert.equal(res.status, 0, res.output);
    });
  }
});
