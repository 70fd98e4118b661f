/** @module Secret redaction for logs and error text: by key name, by registered value and by token shape. */

/** What every redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Shortest string accepted by `registerSecret`. Shorter values would scrub ordinary words out of every
 * log line while protecting nothing (a 3-character secret is not a secret).
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Key names (lower-cased, punctuation removed) whose values are always redacted, matched as a suffix so
 * `OPENAI_API_KEY`, `x-api-key`, `auth_token`, `set-cookie` and `workspace_encryption_key` are all caught
 * while counters such as `llm_tokens` or `prompt_tokens` are not.
 */
const SENSITIVE_KEY_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'apikey',
  'accesskey',
  'authorization',
  'cookie',
  'encryptionkey',
  'privatekey',
  'credentials',
];

/**
 * Shapes of credentials that are scrubbed wherever they appear in text, even when nobody registered them:
 * URL passwords (`redis://:pw@host`), `Bearer ...` headers, gateway tokens (`oc1.`), OpenAI/Anthropic keys
 * and JWTs. The look-behinds stop ids such as `task-abc` from matching `sk-`.
 */
const TOKEN_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#@]+@/gi, `$1:${REDACTED}@`],
  [/\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi, `Bearer ${REDACTED}`],
  [/(?<![A-Za-z0-9])oc1\.[A-Za-z0-9_\-.]{8,}/g, REDACTED],
  [/(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, REDACTED],
];

/**
 * Matches every string that any of TOKEN_PATTERNS could match (each needs one of these substrings), so
 * the common string, which has none, costs one scan instead of one per pattern.
 */
const TOKEN_HINT = /:\/\/|bearer|oc1\.|sk-|eyj/i;

/** Bounds the work done on one logged value, so logging a huge object graph cannot stall the process. */
const MAX_DEPTH = 10;
const MAX_NODES = 10_000;

const globalSecrets = new Set<string>();
let globalVersion = 0;

/**
 * Adds a secret (API key, auth secret, issued token...) that must never appear in any log line or error
 * text of this process. Empty, missing and too-short values are ignored, so callers can pass env vars as is.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || globalSecrets.has(secret)) return;
  globalSecrets.add(secret);
  globalVersion++;
}

/** Forgets every registered secret; meant for tests that need a clean slate. */
export function clearRegisteredSecrets(): void {
  globalSecrets.clear();
  globalVersion++;
}

/** Answers for the key names seen so far; a log line repeats the same few keys. Bounded. */
const sensitiveKeys = new Map<string, boolean>();

/** Whether the value under this key is redacted whatever it looks like. */
export function isSensitiveKey(key: string): boolean {
  const known = sensitiveKeys.get(key);
  if (known !== undefined) return known;
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  const sensitive = SENSITIVE_KEY_SUFFIXES.some((s) => k.endsWith(s));
  if (sensitiveKeys.size >= 1000) sensitiveKeys.clear();
  sensitiveKeys.set(key, sensitive);
  return sensitive;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Longest first, so a secret that contains another is replaced whole. */
function alternation(values: Iterable<string>): RegExp | null {
  const list = [...new Set(values)].sort((a, b) => b.length - a.length);
  return list.length === 0 ? null : new RegExp(list.map(escapeRegExp).join('|'), 'g');
}

export interface RedactorOptions {
  /** Secrets scrubbed by this redactor in addition to the process-wide registered ones. Default: none. */
  secrets?: Iterable<string>;
}

/** A redactor bound to a set of secrets (its own plus the process-wide ones). */
export interface Redactor {
  /** Scrubs secrets and token-shaped strings out of free text. */
  text(text: string): string;
  /**
   * Returns a redacted deep copy: sensitive keys become `[REDACTED]`, strings are scrubbed, `Error`s become
   * plain `{type, message, stack, ...}` objects (scrubbed too), cycles become `"[Circular]"`.
   */
  value(value: unknown): unknown;
  /**
   * Scrubs registered secrets out of serialised JSON, as a last line of defence for anything that reached
   * the serialiser without passing `value` (a secret used as a key, say). Keeps the JSON valid.
   */
  json(serialized: string): string;
}

/** Creates a redactor; `redactText`/`redactValue` use one with only the registered secrets. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const own = [...(options.secrets ?? [])].filter(
    (s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH,
  );
  let builtFor = -1;
  let rawRe: RegExp | null = null;
  let jsonRe: RegExp | null = null;

  // Rebuilt lazily: secrets are registered at start-up and on token issue, and lines are logged far more often.
  function regexes(): { raw: RegExp | null; json: RegExp | null } {
    if (builtFor !== globalVersion) {
      const all = [...globalSecrets, ...own];
      rawRe = alternation(all);
      jsonRe = alternation(all.map((s) => JSON.stringify(s).slice(1, -1)));
      builtFor = globalVersion;
    }
    return { raw: rawRe, json: jsonRe };
  }

  function text(input: string): string {
    // Nothing shorter than the shortest secret can hold one, and no token pattern matches that short.
    if (input.length < MIN_SECRET_LENGTH) return input;
    let out = input;
    const { raw } = regexes();
    if (raw) out = out.replace(raw, REDACTED);
    if (!TOKEN_HINT.test(out)) return out;
    for (const [re, replacement] of TOKEN_PATTERNS) out = out.replace(re, replacement);
    return out;
  }

  function json(serialized: string): string {
    const { json: re } = regexes();
    if (!re) return serialized;
    return serialized.replace(re, (match: string, offset: number) => {
      // An odd run of backslashes before the match means it starts inside an escape such as `\n`: that
      // text is not the secret, and replacing it would corrupt the JSON.
      let slashes = 0;
      for (let i = offset - 1; i >= 0 && serialized[i] === '\\'; i--) slashes++;
      return slashes % 2 === 0 ? REDACTED : match;
    });
  }

  function value(input: unknown): unknown {
    const done = new Map<object, unknown>();
    const inProgress = new Set<object>();
    let nodes = 0;

    function errorToObject(err: Error, depth: number): Record<string, unknown> {
      const out: Record<string, unknown> = {
        type: err.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : err.name,
        message: text(String(err.message)),
      };
      if (typeof err.stack === 'string') out.stack = text(err.stack);
      for (const key of Object.keys(err)) {
        if (key === 'message' || key === 'stack') continue;
        out[key] = field(key, (err as unknown as Record<string, unknown>)[key], depth);
      }
      if ('cause' in err && err.cause !== undefined && !('cause' in out))
        out.cause = walk(err.cause, depth + 1);
      if (err instanceof AggregateError && !('errors' in out)) out.errors = walk(err.errors, depth + 1);
      return out;
    }

    function field(key: string, v: unknown, depth: number): unknown {
      // Booleans and nulls carry no secret and say something useful (`has_token: true`).
      if (isSensitiveKey(key) && v !== null && v !== undefined && typeof v !== 'boolean') return REDACTED;
      return walk(v, depth + 1);
    }

    function fromEntries(entries: Iterable<[unknown, unknown]>, depth: number): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) out[text(String(k))] = field(String(k), v, depth);
      return out;
    }

    function walk(v: unknown, depth: number): unknown {
      if (typeof v === 'string') return text(v);
      if (v === null || typeof v !== 'object') return v;
      const memo = done.get(v);
      if (memo !== undefined) return memo;
      if (inProgress.has(v)) return '[Circular]';
      if (depth > MAX_DEPTH || ++nodes > MAX_NODES) return '[Truncated]';
      inProgress.add(v);
      try {
        const out = convert(v, depth);
        done.set(v, out);
        return out;
      } catch {
        // A throwing getter or toJSON must not turn a log call into a crash.
        return '[Unserializable]';
      } finally {
        inProgress.delete(v);
      }
    }

    function convert(v: object, depth: number): unknown {
      if (v instanceof Error) return errorToObject(v, depth);
      if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
      if (v instanceof Date) return v;
      if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[binary ${v.byteLength} bytes]`;
      if (v instanceof Map) return fromEntries(v.entries(), depth);
      if (v instanceof Set) return [...v].map((item) => walk(item, depth + 1));
      const rec = v as Record<string, unknown>;
      // An http.IncomingMessage drags its socket along; keep what a log reader needs.
      if (typeof rec.method === 'string' && rec.headers && rec.socket) {
        return { method: rec.method, url: walk(rec.url, depth + 1), headers: walk(rec.headers, depth + 1) };
      }
      if (typeof rec.toJSON === 'function') return walk((rec.toJSON as () => unknown)(), depth + 1);
      return fromEntries(Object.entries(rec), depth);
    }

    return walk(input, 0);
  }

  return { text, value, json };
}

const defaultRedactor = createRedactor();

/** Scrubs registered secrets and token-shaped strings out of text, e.g. before putting it in an error response. */
export function redactText(text: string): string {
  return defaultRedactor.text(text);
}

/** Redacted deep copy of any value, using the registered secrets (see `Redactor.value`). */
export function redactValue(value: unknown): unknown {
  return defaultRedactor.value(value);
}
