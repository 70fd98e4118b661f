#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script: tsc, then
// scripts/bundle.mjs, which bundles it into one file next to main.js).
import { existsSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node >= 22.1 can cache the compiled code of the modules on disk (in the OS temp dir, or
// NODE_COMPILE_CACHE); later starts skip most of the compiling. A cache that cannot be written
// (read-only temp dir) is reported in the return value, not thrown: ignored. Node 20 has no such
// function, and no cache for an ES module at all: there the CommonJS copy of the bundle runs through
// load-bundle.js, which keeps a V8 code cache of its own.
const ownCache = typeof module.enableCompileCache !== 'function';
try {
  module.enableCompileCache?.();
} catch {
  // never let a cache problem stop the CLI
}

const main = new URL('../dist/src/cli/main.js', import.meta.url);
const bundle = new URL(`../dist/src/cli/openclaw.bundle.${ownCache ? 'cjs' : 'js'}`, import.meta.url);
const mtime = (u) => (existsSync(fileURLToPath(u)) ? statSync(u).mtimeMs : -1);
// The bundle loads in about half the time of the ~450 modules it is made of (bench/startup.ts). It is
// made from main.js and the modules beside it, so a tsc run after it (`npx tsc -p
// tsconfig.build.json`, a watch, another build script) leaves it describing old code: it is used only
// when it is at least as new as main.js; otherwise the freshly compiled modules run.
const mainTime = mtime(main);
const entry = mainTime >= 0 && mtime(bundle) >= mainTime ? bundle : main;
if (mainTime < 0) {
  process.stderr.write(
    'openclaw: not built yet; run `npm install` (or `npm run build`) in the package first\n',
  );
  process.exit(2);
}
// OPENCLAW_DEBUG_ENTRY=1 names the file that runs (the bundle or main.js), and for the bundle how its
// code cache was used, for tests and bug reports.
const debug = process.env.OPENCLAW_DEBUG_ENTRY === '1';
if (debug) process.stderr.write(`openclaw: entry ${fileURLToPath(entry)}\n`);
if (entry === bundle && ownCache) {
  const { loadBundle } = await import('./load-bundle.js');
  const cache = loadBundle(fileURLToPath(bundle));
  if (debug) process.stderr.write(`openclaw: code cache ${cache}\n`);
} else await import(entry.href);
