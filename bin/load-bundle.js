// Runs the CommonJS CLI bundle with its compiled code cached on disk, on Node 20.
//
// Node >= 22.1 does this itself (module.enableCompileCache, turned on by the launcher, which runs the
// ES module bundle there). Node 20 has no such cache: every start parsed and compiled the 1.3 MB
// bundle again, and lazily compiled each function on first call. Here the bundle runs as a vm.Script
// with V8's code cache: the cache is taken once the process has run for a second (or at exit, for a
// short command), so it holds the functions a start compiled, not only the top level
// (bench/startup.ts: 377 -> 328 ms to /ready on Node 20, same-run A/B). v8-compile-cache, the library
// for this, takes its cache before the code runs and measured slower than no cache (413 vs 385 ms).
//
// The cache file is named after the Node version and a hash of the bundle, since V8 checks only the
// source length before it trusts a cache. It lives in NODE_COMPILE_CACHE (Node's own variable) or the
// OS temp dir, and is read only from a directory no other user can write. Nothing about the cache may stop the CLI: any failure runs the bundle uncached.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

/** Delay before the cache of a long-running process is written: its start is done by then. */
const CACHE_AFTER_MS = 1000;

function cacheDir() {
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  let user = 'user';
  try {
    user = String(userInfo().uid);
  } catch {
    // no passwd entry (a container with an arbitrary uid): one shared name is fine
  }
  return join(tmpdir(), `openclaw-compile-cache-${user}`);
}

/**
 * A cache is code this process will run, so it is read only from a directory that only this user can
 * write: in a shared temp dir another user could have made the directory first and filled it.
 */
function trusted(dir) {
  if (typeof process.getuid !== 'function') return true; // Windows: the temp dir is per user
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Runs `file` (a CommonJS module). Returns how the code cache was used: 'off' (disabled with
 * NODE_DISABLE_COMPILE_CACHE, as Node's own), 'none' (no cache yet: one is written), 'used' or
 * 'rejected' (V8 refused it: it is written again).
 */
export function loadBundle(file) {
  const require = createRequire(file);
  if (process.env.NODE_DISABLE_COMPILE_CACHE) {
    require(file);
    return 'off';
  }
  const source = readFileSync(file, 'utf8');
  const hash = createHash('sha1').update(source).digest('hex').slice(0, 16);
  // One cache per command ("gateway-start", "task-run"): each holds the functions that command
  // compiles, and a short command run first does not leave the gateway a cache of its own few.
  const command = process.argv
    .slice(2, 4)
    .filter((a) => /^[a-z][a-z-]{0,30}$/.test(a))
    .join('-');
  const cacheFile = join(cacheDir(), `openclaw-${process.version}-${hash}-${command || 'cli'}.v8cache`);
  const dir = dirname(cacheFile);
  let cached;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    cached = trusted(dir) ? readFileSync(cacheFile) : undefined;
  } catch {
    cached = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  const status = cached === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (status !== 'used') {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      try {
        if (!trusted(dir)) return;
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile); // readers see the whole file or none
      } catch {
        // a read-only or full temp dir: the next start compiles again
      }
    };
    setTimeout(write, CACHE_AFTER_MS).unref();
    process.once('exit', write);
  }
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
  return status;
}
