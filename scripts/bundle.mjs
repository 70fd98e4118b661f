#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into one file, twice. On Node 20,
// resolving and compiling the ~450 modules of the CLI one by one is most of a cold `openclaw gateway
// start`; one file loads in about half the time (bench/startup.ts, bench/README.md "startup").
// - openclaw.bundle.js, an ES module, for Node >= 22.1, which caches compiled code by itself.
// - openclaw.bundle.cjs, CommonJS, for Node 20: bin/load-bundle.js runs it with a V8 code cache, which
//   only a script (not an ES module) can take there. On Node 24 the CommonJS file started no faster
//   and left 10 MB more V8 heap reserved (RSS 80.8 vs 79.0 MB, same run), hence two files.
// Run after tsc: `npm run build` (and prepare, build:all) do both. bin/openclaw.js loads the bundle
// only when it is at least as new as main.js, so a later tsc run alone falls back to the modules.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const entry = fileURLToPath(new URL('dist/src/cli/main.js', root));
// Same directory as main.js, so that paths relative to import.meta.url that start from dist/src/cli
// (package.json in src/config/version.ts, the Web UI roots in src/web/web-handler.ts) still hold.
const outfile = (ext) => fileURLToPath(new URL(`dist/src/cli/openclaw.bundle.${ext}`, root));

statSync(entry); // a clear ENOENT if tsc has not run

/**
 * zod's namespace (`import { z } from 'zod'`) carries `z.locales`, the error messages of some 40
 * languages: 390 KB, a sixth of the bundle, compiled at every start. The gateway speaks English only
 * (zod's default, which zod registers from its own `locales/en.js`), so the bundle's `locales` holds
 * `en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}zod${sep}`)
        ? { path: resolve(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * An ES module that imports `node:http` gets every export of it, and on Node >= 22 that includes the
 * lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters: the first import loads all of undici
 * (about 30 ms and several MB at start, bench/startup.ts on Node 24). Through `require` only the
 * names asked for are read. Names missing from this list fail the build, not the start.
 */
const httpWithoutUndici = {
  name: 'http-without-undici',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === 'import-statement' && !args.importer.includes(`${sep}node_modules${sep}`)
        ? { path: 'node:http', namespace: 'http-require' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'http-require' }, () => ({
      contents: `const http = require('node:http');
export default http;
export const { createServer, request, get, Agent, Server, IncomingMessage, ServerResponse,
  OutgoingMessage, ClientRequest, STATUS_CODES, METHODS, globalAgent, validateHeaderName,
  validateHeaderValue } = http;`,
    }));
  },
};

/** Packages left out of the bundle and loaded on first use with `import()` (see `external` below). */
const OPTIONAL = ['playwright-core', 'openai', '@anthropic-ai/sdk', 'ollama', 'ioredis', 'etcd3'];

/**
 * An `import()` left in the bundle would need the vm module's experimental loader under the code cache
 * of bin/load-bundle.js (a warning on every use on Node 20). These packages all ship CommonJS, so their
 * `import()` becomes a `require()` at the same moment, wrapped by esbuild into the same namespace shape
 * (`default` and the named exports).
 */
const optionalByRequire = {
  name: 'optional-by-require',
  setup(b) {
    const names = new RegExp(`^(${OPTIONAL.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter: names }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'optional-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'optional-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const common = {
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The native addon, and the packages imported on first use only (they would add megabytes that a
  // gateway without a browser or an LLM provider never loads).
  external: ['better-sqlite3-multiple-ciphers', ...OPTIONAL],
  // The dynamic imports of our own modules (the CLI commands in src/cli/main.ts) are inlined: one file,
  // no splitting. Each command's module body still runs only when that command is used.
  // Less text to read and parse at each start; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...common,
    outfile: outfile('js'),
    format: 'esm',
    // CommonJS dependencies (ws, pino, commander, ...) call require() for node builtins; inside an ES
    // module there is no require, so the bundle defines one relative to itself.
    banner: {
      js: "import { createRequire as __openclawRequire } from 'node:module'; const require = __openclawRequire(import.meta.url);",
    },
    plugins: [zodEnglishOnly, httpWithoutUndici],
  }),
  build({
    ...common,
    outfile: outfile('cjs'),
    format: 'cjs',
    // Our modules find package.json and the Web UI relative to import.meta.url; here that is the
    // bundle's own URL, the same directory as main.js. (A CommonJS bundle reads `node:http` through
    // require, so it needs no http-without-undici.)
    define: { 'import.meta.url': '__openclaw_bundle_url' },
    banner: { js: "const __openclaw_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [zodEnglishOnly, optionalByRequire],
  }),
]);
