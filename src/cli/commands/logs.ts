/**
 * @module `openclaw logs [--follow] [--lines N] [--file PATH] [--pretty]`: prints the gateway's JSON log
 * file, and with --follow keeps printing new lines, across size rotation, like `tail -F`.
 */
import type { Command } from 'commander';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../config/index.js';
import { formatPretty } from '../../observability/index.js';
import { CliExit, EXIT } from '../exit-codes.js';

/** The log file the gateway writes: the first `logging.output` file entry, else `$OPENCLAW_LOG_DIR/gateway.log`. */
export function logFilePath(cfg: ResolvedConfig): { path: string; configured: boolean } {
  const entry = cfg.logging.output.find((o) => o.type === 'file');
  const fallback = resolve(cfg.log_dir, 'gateway.log');
  if (!entry || entry.type !== 'file') return { path: fallback, configured: false };
  return { path: resolve(entry.path ?? fallback), configured: true };
}

export interface ShowLogsOptions {
  file: string;
  /** Lines printed from the end before following; 0 prints none. Default 50. */
  lines?: number;
  /** Keep printing appended lines until `signal` aborts. Default false. */
  follow?: boolean;
  /** One human-readable line per record (formatPretty) instead of the raw JSON. Default false. */
  pretty?: boolean;
  /** ANSI colours in pretty mode. Default false. */
  colors?: boolean;
  /** How often a followed file is checked for new data and rotation (ms). Default 200. */
  pollMs?: number;
  signal?: AbortSignal;
  write(text: string): void;
}

const CHUNK = 64 * 1024;

/** The last `n` complete lines of the open file, and the offset just past them. */
async function lastLines(fh: FileHandle, size: number, n: number): Promise<{ lines: string[]; end: number }> {
  let pos = size;
  let text = '';
  const buf = Buffer.alloc(CHUNK);
  // Read backwards until n line breaks (plus the one ending the last line) are in hand.
  while (pos > 0 && (text.match(/\n/g)?.length ?? 0) <= n) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    text = buf.subarray(0, bytesRead).toString('utf8') + text;
  }
  // A partly written last line is left for the follower to finish.
  const cut = text.lastIndexOf('\n');
  const complete = cut < 0 ? '' : text.slice(0, cut);
  const end = size - Buffer.byteLength(text.slice(cut + 1));
  const all = complete === '' ? [] : complete.split('\n');
  return { lines: n === 0 ? [] : all.slice(-n), end };
}

export async function showLogs(o: ShowLogsOptions): Promise<void> {
  const emit = (line: string) => {
    if (line === '') return;
    o.write(o.pretty ? formatPretty(line, { colors: o.colors ?? false }) : `${line}\n`);
  };
  let fh: FileHandle;
  try {
    fh = await open(o.file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliExit(
      EXIT.USAGE,
      code === 'ENOENT'
        ? `no log file at ${o.file}; is the gateway running with a logging.output file entry? (or pass --file)`
        : `cannot read ${o.file}: ${(err as Error).message}`,
    );
  }
  try {
    const st = await fh.stat();
    const { lines, end } = await lastLines(fh, st.size, o.lines ?? 50);
    for (const l of lines) emit(l);
    if (!o.follow) return;
    await follow(fh, st.ino, end, o, emit);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Reads what is appended from `pos`. When the path names a new file (rotation renamed the old one
 * away) the rest of the old file is read first, so no line written before the rotation is lost; a
 * file that shrank in place (truncated) is read again from the start.
 */
async function follow(
  first: FileHandle,
  firstIno: number,
  start: number,
  o: ShowLogsOptions,
  emit: (line: string) => void,
): Promise<void> {
  let fh = first;
  let ino = firstIno;
  let pos = start;
  let partial = '';
  const buf = Buffer.alloc(CHUNK);
  const drain = async () => {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      const text = partial + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const l of lines) emit(l);
    }
  };
  const aborted = () => o.signal?.aborted === true;
  while (!aborted()) {
    await drain();
    const now = await stat(o.file).catch(() => null);
    if (now && now.ino !== ino) {
      await drain();
      if (partial !== '') emit(partial);
      partial = '';
      const next = await open(o.file, 'r').catch(() => null);
      if (next) {
        if (fh !== first) await fh.close().catch(() => undefined);
        fh = next;
        ino = now.ino;
        pos = 0;
        continue;
      }
    } else if (now && now.size < pos) {
      pos = 0;
      partial = '';
      continue;
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, o.pollMs ?? 200);
      o.signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
  await drain();
  if (fh !== first) await fh.close().catch(() => undefined);
}

interface LogsFlags {
  follow?: boolean;
  lines: string;
  file?: string;
  config?: string;
  pretty?: boolean;
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("print the gateway's JSON log file (default ~/.openclaw/logs/gateway.log)")
    .option('-f, --follow', 'keep printing new lines, across log rotation (Ctrl-C to stop)')
    .option('-n, --lines <n>', 'how many of the last lines to print first', '50')
    .option('--file <path>', 'log file to read (default: the logging.output file entry of the config)')
    .option('--config <file>', 'config file')
    .option('--pretty', 'one human-readable line per record')
    .action(async (f: LogsFlags) => {
      if (!/^\d+$/.test(f.lines))
        throw new CliExit(EXIT.USAGE, `--lines ${f.lines}: expected a whole number`);
      let file = f.file ? resolve(f.file) : undefined;
      if (!file) {
        const found = logFilePath(loadConfig(f.config ? { configPath: f.config } : {}));
        if (!found.configured)
          process.stderr.write(
            `openclaw: logging.output has no file entry (the gateway logs to stdout only); trying ${found.path}\n`,
          );
        file = found.path;
      }
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // `openclaw logs | head` closes the pipe early; that is the reader's choice, not an error.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') ac.abort();
      });
      try {
        await showLogs({
          file,
          lines: Number(f.lines),
          follow: f.follow === true,
          pretty: f.pretty === true,
          colors: f.pretty === true && process.stdout.isTTY === true,
          signal: ac.signal,
          write: (t) => {
            if (!ac.signal.aborted) process.stdout.write(t);
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
