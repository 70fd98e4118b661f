/**
 * @module deploy/docker/Dockerfile and its dockerignore, checked statically (no Docker engine needed);
 * the HEALTHCHECK command itself is run against a stand-in /health endpoint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readDeploy, repoRoot } from './support/repo.js';
import { freePort } from './support/tools.js';
import { parseDockerfile, parseEnvArgs } from './support/dockerfile.js';
import { unknownEnvNames } from './support/env-names.js';

const instructions = parseDockerfile(readDeploy('docker', 'Dockerfile'));
const lastStage = Math.max(...instructions.map((i) => i.stage));
const final = instructions.filter((i) => i.stage === lastStage);
const all = (keyword: string, list = instructions) => list.filter((i) => i.keyword === keyword);

/** The exec-form command of HEALTHCHECK (`HEALTHCHECK [options] CMD ["..."]`). */
function healthcheckCommand(): string[] {
  const hc = all('HEALTHCHECK', final)[0];
  assert.ok(hc, 'HEALTHCHECK in the final stage');
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(hc.args)?.[1];
  assert.ok(json, `exec form expected: ${hc.args}`);
  return JSON.parse(json) as string[];
}

/**
 * Runs a `node -e ...` health command with this node binary against `port` and resolves its exit
 * status. Asynchronous on purpose: the stand-in /health server lives in this process's event loop.
 */
function runHealthcheck(cmd: string[], port: number): Promise<number | null> {
  assert.equal(cmd[0], 'node');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd.slice(1), {
      env: { ...process.env, OPENCLAW_GATEWAY_PORT: String(port) },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('Dockerfile', () => {
  let server: Server;
  let status = 200;
  let hits: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'starting' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  const port = () => (server.address() as AddressInfo).port;

  test('is a multi-stage build on slim Node 22 with production-only dependencies', () => {
    const froms = all('FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    const base = all('ARG')
      .find((a) => a.args.startsWith('NODE_IMAGE='))
      ?.args.split('=')[1];
    assert.match(base ?? '', /^node:22-[a-z]+-slim$/);
    for (const f of froms) assert.match(f.args, /^\$\{NODE_IMAGE\} AS \w+$/);
    const runs = all('RUN').map((r) => r.args);
    assert.ok(
      runs.some((r) => /npm ci --omit=dev/.test(r)),
      'npm ci --omit=dev',
    );
    assert.ok(
      runs.some((r) => /npm run build/.test(r)),
      'npm run build',
    );
    assert.ok(
      all('COPY', final).some((c) => /--from=deps \/src\/node_modules/.test(c.args)),
      'node_modules come from the production-only stage',
    );
  });

  test('copies only files that exist in the repository', () => {
    for (const c of all('COPY').filter((x) => !x.args.startsWith('--from'))) {
      const sources = c.args.split(' ').slice(0, -1);
      for (const s of sources) if (s !== '.') assert.ok(existsSync(join(repoRoot(), s)), s);
    }
  });

  test('runs as the non-root uid 1000 and starts the gateway headless under tini', () => {
    const user = all('USER', final).at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
    assert.equal(user, '1000:1000');
    // uid 1000 is the base image's node user, renamed (not re-created) so the id cannot drift.
    assert.ok(
      all('RUN', final).some((r) =>
        /groupmod --new-name openclaw node && usermod --login openclaw /.test(r.args),
      ),
    );
    assert.deepEqual(JSON.parse(all('ENTRYPOINT', final).at(-1)?.args ?? '[]'), ['/usr/bin/tini', '--']);
    assert.deepEqual(JSON.parse(all('CMD', final).at(-1)?.args ?? '[]'), [
      'openclaw',
      'gateway',
      'start',
      '--headless',
    ]);
  });

  test('exposes 18789 and 9090 and sets the seed 5.1 defaults with SPEC variable names only', () => {
    assert.deepEqual(
      all('EXPOSE', final)
        .flatMap((e) => e.args.split(' '))
        .sort(),
      ['18789', '9090'],
    );
    const env = Object.fromEntries(all('ENV', final).flatMap((e) => parseEnvArgs(e.args)));
    assert.deepEqual(unknownEnvNames(Object.keys(env), ['NODE_ENV']), []);
    assert.deepEqual(
      [
        env.OPENCLAW_HEADLESS,
        env.OPENCLAW_GATEWAY_HOST,
        env.OPENCLAW_GATEWAY_PORT,
        env.OPENCLAW_DATA_DIR,
        env.OPENCLAW_LOG_DIR,
      ],
      ['true', '0.0.0.0', '18789', '/app/data', '/app/logs'],
    );
    assert.equal(env.OPENCLAW_METRICS_HOST, '0.0.0.0');
    for (const secret of [
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'OPENCLAW_AUTH_SECRET',
      'OPENCLAW_WORKSPACE_ENCRYPTION_KEY',
    ])
      assert.ok(!(secret in env), `${secret} must not be baked into the image`);
  });

  test('WITH_CHROMIUM=1 adds Debian chromium, default off', () => {
    assert.ok(all('ARG', final).some((a) => a.args === 'WITH_CHROMIUM=0'));
    const install = all('RUN', final).find((r) => r.args.includes('chromium'));
    assert.match(
      install?.args ?? '',
      /if \[ "\$WITH_CHROMIUM" = "1" \]; then apt-get install [^;]*\bchromium\b/,
    );
  });

  test('HEALTHCHECK has the seed timings and probes /health', () => {
    const hc = all('HEALTHCHECK', final)[0]?.args ?? '';
    for (const opt of ['--interval=30s', '--timeout=10s', '--start-period=60s', '--retries=3'])
      assert.ok(hc.includes(opt), opt);
    assert.ok(healthcheckCommand().join(' ').includes('/health'));
  });

  test('the HEALTHCHECK command passes on 200, fails on 503 and on a closed port', async () => {
    const cmd = healthcheckCommand();
    hits = [];
    status = 200;
    assert.equal(await runHealthcheck(cmd, port()), 0);
    assert.deepEqual(hits, ['/health'], 'it asks the port from OPENCLAW_GATEWAY_PORT');
    status = 503;
    assert.equal(await runHealthcheck(cmd, port()), 1);
    assert.equal(await runHealthcheck(cmd, await freePort()), 1);
  });

  test('the Compose healthcheck runs the same command as the image', () => {
    const compose = parse(readDeploy('docker', 'docker-compose.yml')) as {
      services: Record<string, { healthcheck?: { test: string[] } }>;
    };
    assert.deepEqual(compose.services['openclaw-gateway']?.healthcheck?.test, [
      'CMD',
      ...healthcheckCommand(),
    ]);
  });
});

describe('Dockerfile.dockerignore', () => {
  const patterns = readDeploy('docker', 'Dockerfile.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  test('keeps secrets, local builds and VCS data out of the build context', () => {
    for (const p of ['.git', 'node_modules', 'dist', '.env', '.env.*', '**/.env', '**/.env.*'])
      assert.ok(patterns.includes(p), `${p} is excluded`);
  });

  test('keeps what the build needs', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      'src',
      'bin',
      'scripts', // scripts/bundle.mjs, run by npm run build
      'tsconfig.json',
      'tsconfig.build.json',
    ];
    for (const p of patterns.filter((x) => !x.startsWith('!'))) {
      for (const n of needed) assert.notEqual(p.replace(/^\*\*\//, ''), n, `${n} must reach the build`);
    }
    for (const n of needed) assert.ok(existsSync(join(repoRoot(), n)), n);
  });
});
