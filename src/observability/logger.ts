/** @module The gateway's structured logger: pino with seed 10.3 field names, redaction and several outputs. */
import pino, { type Logger } from 'pino';
import { GatewayError } from '../protocol/index.js';
import {
  LOG_LEVELS,
  openOutput,
  type LogFormat,
  type LogLevel,
  type LogOutput,
  type OpenedOutput,
} from './log-outputs.js';
import { createRedactor } from './redact.js';

/**
 * Fields of seed 10.3 that callers put on a record (`log.info({ event: 'task_completed', task_id }, '...')`).
 * They are conventions, not enforced: any other JSON-safe field may be added.
 */
export interface LogFields {
  component?: string;
  /** Machine-readable snake_case name of what happened, e.g. `task_completed`. */
  event?: string;
  task_id?: string;
  workspace?: string;
  duration_ms?: number;
  llm_tokens?: number;
  node_id?: string;
  [key: string]: unknown;
}

export interface LoggerOptions {
  /** Minimum level; can be changed later through `logger.level`. Default: 'info'. */
  level?: LogLevel;
  /** `json` (one object per line, for ELK/Loki) or `pretty` (one readable line). Default: 'json'. */
  format?: LogFormat;
  /** The seed's `logging.output` list; several at once are allowed. Default: `[{ type: 'stdout' }]`. */
  outputs?: LogOutput[];
  /** Secrets scrubbed from this logger's lines on top of the ones given to `registerSecret`. Default: none. */
  secrets?: string[];
  /** `component` of records logged on the root logger; children set their own. Default: 'gateway'. */
  component?: string;
  /** Extra fields on every record, e.g. `{ gateway_id }` in cluster mode. Default: none. */
  base?: Record<string, unknown>;
}

/** A pino logger that owns its outputs; `close()` flushes files and must be awaited before exit. */
export type GatewayLogger = Logger & {
  /** Flushes every output and closes files (rotations in progress finish first). Idempotent. */
  close(): Promise<void>;
};

const COMPONENT = Symbol('openclaw.component');
/** Where a logger instance keeps its component; children inherit it through pino's prototype chain. */
interface Tagged {
  [COMPONENT]?: string;
}

/** Creates the root logger. Throws `GW_ERR_CONFIG_INVALID` naming the bad key when an option is unusable. */
export function createLogger(options: LoggerOptions = {}): GatewayLogger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'json';
  if (!LOG_LEVELS.includes(level)) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason: `logging.level: ${JSON.stringify(level)} is not allowed; expected one of ${LOG_LEVELS.join(', ')}`,
    });
  }
  if (format !== 'json' && format !== 'pretty') {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {
      reason: `logging.format: ${JSON.stringify(format)} is not allowed; expected "json" or "pretty"`,
    });
  }
  const redactor = createRedactor({ secrets: options.secrets ?? [] });
  const outputs = options.outputs ?? [{ type: 'stdout' }];
  const opened: OpenedOutput[] = [];
  try {
    outputs.forEach((o, i) => opened.push(openOutput(o, i, format)));
  } catch (err) {
    for (const o of opened) void o.close();
    throw err;
  }

  const { component: baseComponent, ...baseRest } = options.base ?? {};
  const base = redactor.value(baseRest) as Record<string, unknown>;
  const logger = pino(
    {
      level,
      base,
      messageKey: 'msg',
      // Errors are already plain objects from the redactor; pino's serializer would relabel them `Object`.
      serializers: { err: (e: unknown) => e },
      // component lives on the logger, not in its bindings: pino appends child bindings to the parent's,
      // which would print `component` twice in one line.
      mixin: (_obj, _level, instance) => ({ component: (instance as unknown as Tagged)[COMPONENT] }),
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Arguments are redacted before pino formats them, so `%s`/`%j` interpolation, an Error's message
        // (which pino copies into msg) and its stack are all scrubbed.
        logMethod(args, method) {
          const out: unknown[] = args.map((a, i) => {
            if (typeof a === 'string') return redactor.text(a);
            if (i === 0 && a instanceof Error) return { err: redactor.value(a) };
            return a !== null && typeof a === 'object' ? redactor.value(a) : a;
          });
          (method as (...a: unknown[]) => void).apply(this, out);
        },
        streamWrite: (line) => redactor.json(line),
      },
    },
    pino.multistream(opened.map((o) => ({ level: o.level, stream: o.stream }))),
  );

  // pino applies no formatter to child bindings, so redact them on the way in. Children inherit this
  // override through the prototype chain.
  type ChildFn = (this: Logger, b: pino.Bindings, o?: pino.ChildLoggerOptions) => Logger;
  const originalChild = logger.child as unknown as ChildFn;
  logger.child = function child(
    this: Logger,
    bindings: pino.Bindings,
    childOptions?: pino.ChildLoggerOptions,
  ) {
    const { component, ...rest } = (redactor.value(bindings) ?? {}) as Record<string, unknown>;
    const instance = originalChild.call(this, rest, childOptions);
    if (component !== undefined) (instance as unknown as Tagged)[COMPONENT] = String(component);
    return instance;
  } as unknown as typeof logger.child;
  (logger as unknown as Tagged)[COMPONENT] = redactor.text(
    String(options.component ?? baseComponent ?? 'gateway'),
  );

  let closing: Promise<void> | undefined;
  return Object.assign(logger, {
    close(): Promise<void> {
      closing ??= Promise.all(opened.map((o) => o.close())).then(() => undefined);
      return closing;
    },
  });
}

/** Records captured by `createMemoryLogger`, already parsed. */
export interface MemoryLogger {
  logger: GatewayLogger;
  records: Record<string, unknown>[];
}

/**
 * A logger that keeps its records in memory, for tests of other layers that assert on what was logged.
 * Same fields and redaction as `createLogger`.
 */
export function createMemoryLogger(options: Omit<LoggerOptions, 'outputs' | 'format'> = {}): MemoryLogger {
  const records: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) };
  return {
    logger: createLogger({ level: 'trace', ...options, outputs: [{ type: 'stream', stream }] }),
    records,
  };
}
