/**
 * The launcher and the CLI bundle (scripts/bundle.mjs): after the build, bin/openclaw.js runs
 * dist/src/cli/openclaw.bundle.cjs (Node 20) or .js (Node >= 22.1); the bundle alone (no other compiled module beside it) starts a
 * gateway and serves the Web UI from the Docker image's layout; a bundle older than main.js, or none,
 * is passed over for main.js. On Node 20 the bundle's compiled code is cached (bin/load-bundle.js):
 * written on the first run, used on the next, rewritten when V8 refuses it, one file per bundle and
 * command. OPENCLAW_DEBUG_ENTRY=1 makes the launcher name the file it runs and the cache's use.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, CLI, cliEnv, startGatewayProcess, tempHome } from '../../support/gateway-process.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** Node >= 22.1 caches compiled code by itself; the launcher's own cache is for Node 20. */
const OWN_CACHE = typeof (module as { enableCompileCache?: unknown }).enableCompileCache !== 'function';
/** The bundle this Node runs: the CommonJS copy on Node 20, the ES module on Node >= 22.1. */
const BUNDLE = join(REPO_ROOT, 'dist', 'src', 'cli', `openclaw.bundle.${OWN_CACHE ? 'cjs' : 'js'}`);

const home = tempHome('openclaw-bundle-');
// An install without src/ and without the modules tsc wrote: package.json, bin/, node_modules, the
// bundle, a stand-in main.js, and the Web UI where the Dockerfile copies it (dist/src/web/static).
const install = mkdtempSync(join(tmpdir(), 'openclaw-bundle-install-'));
after(() => {
  home.cleanup();
  rmSync(install, { recursive: true, force: true });
});

const cacheDir = join(home.home, 'compile-cache');

function run(cli: string, args: string[]) {
  const res = spawnSync(process.execPath, [cli, ...args], {
    env: cliEnv(home.home, { OPENCLAW_DEBUG_ENTRY: '1', NODE_COMPILE_CACHE: cacheDir }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test('after the build, bin/openclaw.js runs the bundle', () => {
  const bundleTime = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs;
  assert.ok(bundleTime !== undefined, `${BUNDLE} is missing: the build (npm run build:all) bundles the CLI`);
  assert.ok(
    bundleTime >= statSync(MAIN).mtimeMs,
    'the bundle is older than main.js: a tsc run after `npm run build:all` left it stale',
  );
  const r = run(CLI, ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), VERSION);
  assert.match(
    r.stderr,
    new RegExp(`^openclaw: entry ${BUNDLE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
  );
});

const iCli = join(install, 'bin', 'openclaw.js');
const iMain = join(install, 'dist', 'src', 'cli', 'main.js');
const iBundle = join(install, 'dist', 'src', 'cli', `openclaw.bundle.${OWN_CACHE ? 'cjs' : 'js'}`);
const STAND_IN = "process.stderr.write('main.js ran\\n'); process.exit(3);\n";

/** Sets the bundle's mtime `deltaMs` after (or, negative, before) main.js's. */
function bundleAge(deltaMs: number): void {
  const t = Date.now() / 1000;
  utimesSync(iMain, t, t);
  utimesSync(iBundle, t + deltaMs / 1000, t + deltaMs / 1000);
}

test('the bundle runs on its own: version, a gateway to /ready, the Web UI from dist/src/web/static', async () => {
  cpSync(join(REPO_ROOT, 'bin'), join(install, 'bin'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'package.json'), join(install, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(install, 'node_modules'), 'dir');
  mkdirSync(join(install, 'dist', 'src', 'cli'), { recursive: true });
  copyFileSync(BUNDLE, iBundle);
  writeFileSync(iMain, STAND_IN);
  cpSync(join(REPO_ROOT, 'src', 'web', 'static'), join(install, 'dist', 'src', 'web', 'static'), {
    recursive: true,
  });
  bundleAge(0); // same mtime counts as fresh (tsc and the bundler can finish within one tick)

  const v = run(iCli, ['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), VERSION, 'package.json is found from the bundle');
  assert.ok(v.stderr.includes(`openclaw: entry ${iBundle}\n`), v.stderr);

  const gw = await startGatewayProcess({ cli: iCli, env: { OPENCLAW_DEBUG_ENTRY: '1' } });
  try {
    assert.ok(gw.stderr().includes(`openclaw: entry ${iBundle}\n`), gw.stderr());
    assert.equal((await fetch(`${gw.httpUrl}/ready`)).status, 200);
    const page = await fetch(`${gw.httpUrl}/`);
    assert.equal(page.status, 200);
    assert.equal(
      await page.text(),
      readFileSync(join(REPO_ROOT, 'src', 'web', 'static', 'index.html'), 'utf8'),
    );
    const js = await fetch(`${gw.httpUrl}/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  } finally {
    assert.equal((await gw.stop()).code, 0, gw.stderr());
    rmSync(gw.home, { recursive: true, force: true });
  }
});

test('a bundle older than main.js is ignored, and so is a missing one', () => {
  bundleAge(-2000);
  const stale = run(iCli, ['--version']);
  assert.equal(stale.code, 3, 'the stand-in main.js ran');
  assert.ok(stale.stderr.includes(`openclaw: entry ${iMain}\nmain.js ran\n`), stale.stderr);

  bundleAge(2000);
  assert.equal(run(iCli, ['--version']).code, 0, 'fresh again: the bundle runs');

  rmSync(iBundle);
  const missing = run(iCli, ['--version']);
  assert.equal(missing.code, 3);
  assert.ok(missing.stderr.includes(`openclaw: entry ${iMain}\n`), missing.stderr);
});

test('without main.js the launcher says to build, even when a bundle is there', () => {
  copyFileSync(BUNDLE, iBundle);
  rmSync(iMain);
  const r = run(iCli, ['--version']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not built yet/);
});

test(
  "on Node 20 the bundle's code cache is written, used, and rewritten when refused",
  { skip: !OWN_CACHE },
  () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const cacheLine = (stderr: string) => /^openclaw: code cache (\w+)$/m.exec(stderr)?.[1];
    const first = run(CLI, ['--version']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(cacheLine(first.stderr), 'none');
    const files = readdirSync(cacheDir);
    assert.equal(files.length, 1, `one cache file: ${files.join(', ')}`);
    assert.match(
      files[0]!,
      new RegExp(`^openclaw-${process.version.replace(/\./g, '\\.')}-[0-9a-f]{16}-cli\\.v8cache$`),
    );
    assert.ok(statSync(join(cacheDir, files[0]!)).size > 100_000, 'the cache holds compiled code');

    const second = run(CLI, ['--version']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), VERSION);
    assert.equal(cacheLine(second.stderr), 'used');

    // Another command has a cache of its own.
    const help = run(CLI, ['token', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(cacheLine(help.stderr), 'none');
    assert.equal(readdirSync(cacheDir).length, 2);

    // A damaged cache is refused by V8, the CLI still works, and a good cache replaces it.
    writeFileSync(join(cacheDir, files[0]!), 'not a V8 code cache');
    const damaged = run(CLI, ['--version']);
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.equal(damaged.stdout.trim(), VERSION);
    assert.equal(cacheLine(damaged.stderr), 'rejected');
    assert.equal(cacheLine(run(CLI, ['--version']).stderr), 'used');

    // A cache in a directory others can write is not run (it could be anyone's code).
    const shared = join(home.home, 'shared-cache');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    copyFileSync(join(cacheDir, files[0]!), join(shared, files[0]!));
    const untrusted = spawnSync(process.execPath, [CLI, '--version'], {
      env: cliEnv(home.home, { OPENCLAW_DEBUG_ENTRY: '1', NODE_COMPILE_CACHE: shared }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(untrusted.status, 0, untrusted.stderr);
    assert.match(untrusted.stderr, /^openclaw: code cache none$/m);

    // A cache dir that cannot be created costs the cache, not the command.
    writeFileSync(join(home.home, 'not-a-dir'), '');
    const res = spawnSync(process.execPath, [CLI, '--version'], {
      env: cliEnv(home.home, {
        OPENCLAW_DEBUG_ENTRY: '1',
        NODE_COMPILE_CACHE: join(home.home, 'not-a-dir', 'x'),
      }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout.trim(), VERSION);
  },
);

test('a rebuilt bundle gets a new cache, not the old one', { skip: !OWN_CACHE }, () => {
  // The install copy: same size as the repo's bundle, other content.
  writeFileSync(iMain, STAND_IN);
  const src = readFileSync(BUNDLE, 'utf8');
  writeFileSync(iBundle, src);
  bundleAge(1000);
  assert.match(run(iCli, ['--version']).stderr, /^openclaw: code cache used$/m, 'same content, same cache');
  const before = new Set(readdirSync(cacheDir));
  writeFileSync(iBundle, src.replace('OpenClaw Gateway', 'OpenClaw gateway'));
  bundleAge(1000);
  const r = run(iCli, ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^openclaw: code cache none$/m);
  assert.equal([...readdirSync(cacheDir)].filter((f) => !before.has(f)).length, 1);
});
