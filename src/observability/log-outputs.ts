/** @module Log destinations of `logging.output`: stdout/stderr, size-rotated files, and in-process sinks. */
import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import pino from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { GatewayError } from '../protocol/index.js';
import { formatPretty } from './pretty-format.js';
import { TurnBatch } from './turn-batch.js';

export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface OutputCommon {
  /** Per-output format, overriding `logging.format`. Default: the logger's format. */
  format?: LogFormat;
  /**
   * Threshold of this output. It can only be stricter than the logger's level, which stays the one knob
   * that can be changed at run time. Default: everything the logger emits.
   */
  level?: LogLevel;
}

/** `{ type: stdout }` of seed 10.3. */
export interface StdoutOutput extends OutputCommon {
  type: 'stdout';
}

/** Standard error; for CLI commands whose stdout carries their result. */
export interface StderrOutput extends OutputCommon {
  type: 'stderr';
}

/** `{ type: file }` of seed 10.3, rotated by size. */
export interface FileOutput extends OutputCommon {
  type: 'file';
  /** Log file; its directory is created. Rotated files sit beside it as `<name>.<UTC stamp>[.gz]`. */
  path: string;
  /** Rotate when the file reaches this size, in MiB (fractions allowed). Default: 100. */
  max_size_mb?: number;
  /** Rotated files kept; the oldest beyond this are deleted. Default: 10. */
  max_backups?: number;
  /** Gzip rotated files. Default: true. */
  compress?: boolean;
}

/** Anything with a `write(line)`; for embedding and tests. */
export interface StreamOutput extends OutputCommon {
  type: 'stream';
  stream: { write(line: string): unknown };
}

export type LogOutput = StdoutOutput | StderrOutput | FileOutput | StreamOutput;

/** One opened output, ready for pino.multistream. */
export interface OpenedOutput {
  level: LogLevel | 'trace';
  stream: { write(line: string): void };
  /** Flushes and releases the output; resolves once everything written is on disk. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/** Where seed 3.4 tails the log: `$OPENCLAW_LOG_DIR/gateway.log`, default `~/.openclaw/logs/gateway.log`. */
export function defaultLogOutputs(logDir: string): LogOutput[] {
  return [{ type: 'stdout' }, { type: 'file', path: resolve(logDir, 'gateway.log') }];
}

function invalid(index: number, key: string, value: unknown, allowed: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_INVALID', {
    reason: `logging.output[${index}].${key}: ${JSON.stringify(value)} is not allowed; expected ${allowed}`,
  });
}

/** `20260222-103000-123Z`: sorts by time; milliseconds because several rotations can happen per second. */
function stamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-');
}

function openFile(
  output: FileOutput,
  index: number,
  warn: (message: string) => void,
): OpenedOutput['stream'] & {
  rfs: RotatingFileStream;
  flush: () => void;
} {
  const maxSizeMb = output.max_size_mb ?? 100;
  const maxBackups = output.max_backups ?? 10;
  const compress = output.compress ?? true;
  if (typeof output.path !== 'string' || output.path === '')
    throw invalid(index, 'path', output.path, 'a file path');
  if (!(typeof maxSizeMb === 'number' && Number.isFinite(maxSizeMb) && maxSizeMb > 0)) {
    throw invalid(index, 'max_size_mb', maxSizeMb, 'a positive number of MiB');
  }
  // rotating-file-stream reads maxFiles 0 as "no limit", the opposite of what 0 backups would mean.
  if (!(Number.isInteger(maxBackups) && maxBackups >= 1)) {
    throw invalid(index, 'max_backups', maxBackups, 'an integer >= 1');
  }
  const file = resolve(output.path);
  const dir = dirname(file);
  const name = basename(file);
  try {
    // Owner-only: log lines carry task details, and a writable ~/.openclaw would let others plant config.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason: `logging.output[${index}].path: cannot create directory ${dir}: ${(err as Error).message}`,
    });
  }
  const generator = (time: Date | number | null, n?: number): string =>
    time === null
      ? name
      : `${name}.${stamp(new Date(time))}${(n ?? 1) > 1 ? `-${n}` : ''}${compress ? '.gz' : ''}`;
  const rfs = createStream(generator, {
    path: dir + sep,
    size: `${Math.max(1, Math.round(maxSizeMb * MIB))}B`,
    maxFiles: maxBackups,
    history: `${name}.history`,
    // Logs may hold paths and payloads; keep them from other local users.
    mode: 0o640,
    ...(compress ? { compress: 'gzip' as const } : {}),
  });
  let failed = false;
  // After an 'error' the stream is dead; say so once on stderr instead of crashing the gateway.
  rfs.on('error', (err: Error) => {
    if (!failed) warn(`log output ${file} failed and is disabled: ${err.message}`);
    failed = true;
  });
  rfs.on('warning', (err: Error) => warn(`log output ${file}: ${err.message}`));
  // rotating-file-stream checks the size after each chunk, so a chunk of a batch is also how far a
  // file may grow past max_size_mb.
  const batch = new TurnBatch((chunk) => {
    if (!failed && !rfs.writableEnded && !rfs.destroyed) rfs.write(chunk);
  });
  return { rfs, flush: batch.flush, write: (line: string) => batch.write(line) };
}

function endRotating(rfs: RotatingFileStream, flush: () => void): Promise<void> {
  flush();
  if (rfs.destroyed || rfs.writableFinished) return Promise.resolve();
  return new Promise((done) => {
    const finish = (): void => done();
    rfs.once('finish', finish);
    rfs.once('close', finish);
    rfs.once('error', finish);
    rfs.end();
  });
}

/** Opens one output. Throws a `GW_ERR_CONFIG_INVALID` naming the key when the output is unusable. */
export function openOutput(
  output: LogOutput,
  index: number,
  format: LogFormat,
  warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): OpenedOutput {
  const fmt = output.format ?? format;
  if (fmt !== 'json' && fmt !== 'pretty') throw invalid(index, 'format', fmt, '"json" or "pretty"');
  if (output.level !== undefined && !LOG_LEVELS.includes(output.level)) {
    throw invalid(index, 'level', output.level, `one of ${LOG_LEVELS.join(', ')}`);
  }
  let sink: { write(line: string): unknown };
  let close: () => Promise<void> = async () => {};
  let colors = false;
  switch (output.type) {
    case 'stdout':
    case 'stderr': {
      const fd = output.type === 'stdout' ? 1 : 2;
      // Synchronous writes, batched per turn and flushed at exit: the lines before a process.exit are
      // not lost. A kill -9 or a native crash can lose the lines of the turn it interrupts.
      const dest = pino.destination({ dest: fd, sync: true });
      // A closed pipe (`openclaw ... | head`) must not take the gateway down with it.
      dest.on('error', () => {});
      const batch = new TurnBatch((chunk) => dest.write(chunk));
      sink = batch;
      close = async () => {
        try {
          batch.flush();
          dest.flushSync();
        } catch {
          // The reader went away (EPIPE); there is nobody left to flush to.
        }
      };
      colors = Boolean((fd === 1 ? process.stdout : process.stderr).isTTY) && !process.env.NO_COLOR;
      break;
    }
    case 'file': {
      const opened = openFile(output, index, warn);
      sink = opened;
      close = () => endRotating(opened.rfs, opened.flush);
      break;
    }
    case 'stream':
      if (!output.stream || typeof output.stream.write !== 'function') {
        throw invalid(index, 'stream', typeof output.stream, 'an object with write()');
      }
      sink = output.stream;
      break;
    default:
      throw invalid(
        index,
        'type',
        (output as { type?: unknown }).type,
        '"stdout", "stderr", "file" or "stream"',
      );
  }
  let closed = false;
  return {
    level: output.level ?? 'trace',
    stream: {
      write(line: string) {
        if (closed) return;
        sink.write(fmt === 'pretty' ? formatPretty(line, { colors }) : line);
      },
    },
    async close() {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}
