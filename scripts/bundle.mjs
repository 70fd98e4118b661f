#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into one ESM file. On Node 20, resolving
// and compiling the ~450 modules of the CLI one by one is most of a cold `openclaw gateway start`;
// one file loads in about half the time (bench/startup.ts, bench/README.md "startup").
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
const outfile = fileURLToPath(new URL('dist/src/cli/openclaw.bundle.js', root));

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

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The native addon, and the packages imported on first use only (they would add megabytes that a
  // gateway without a browser or an LLM provider never loads).
  external: [
    'better-sqlite3-multiple-ciphers',
    'playwright-core',
    'openai',
    '@anthropic-ai/sdk',
    'ollama',
    'ioredis',
    'etcd3',
  ],
  // CommonJS dependencies (ws, pino, commander, ...) call require() for node builtins; inside an ES
  // module there is no require, so the bundle defines one relative to itself.
  banner: {
    js: "import { createRequire as __openclawRequire } from 'node:module'; const require = __openclawRequire(import.meta.url);",
  },
  // The dynamic imports of our own modules (the CLI commands in src/cli/main.ts) are inlined: one file,
  // no splitting. Each command's module body still runs only when that command is used.
  plugins: [zodEnglishOnly, httpWithoutUndici],
  // Less text to read and parse at each start; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
