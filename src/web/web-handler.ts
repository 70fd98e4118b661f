/** @module Serves the Web UI's static files with safe headers; anything else falls through. */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

// The static files stay in src/web/static (tsc does not copy them; the npm package ships them there),
// and the Docker image copies them to dist/src/web/static. This module runs from src/web (tsx),
// dist/src/web (the tsc output) or, inlined, from the CLI bundle in dist/src/cli: so, in order,
// beside this module, beside the bundle (../web/static from dist/src/cli), then src/web/static of the
// package root (three levels above dist/src/web and dist/src/cli alike).
const ROOTS = [
  new URL('./static/', import.meta.url),
  new URL('../web/static/', import.meta.url),
  new URL('../../../src/web/static/', import.meta.url),
];

function load(name: string): Buffer | null {
  for (const root of ROOTS) {
    try {
      return readFileSync(new URL(name, root));
    } catch {
      // try the next root
    }
  }
  return null;
}

export function createWebHandler(): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const cache = new Map<string, Buffer>();
  return (req, res, url) => {
    const entry = FILES[url.pathname];
    if (!entry) return false;
    let body = cache.get(entry.file);
    if (!body) {
      const loaded = load(entry.file);
      if (!loaded) return false;
      body = loaded;
      cache.set(entry.file, body);
    }
    res.writeHead(200, {
      'content-type': entry.type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy':
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'",
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
