/**
 * @module Test support: a loopback HTTP server that plays an LLM vendor from a script of behaviours
 * (answers, streams, errors with headers, malformed bodies, hung and reset connections). Each vendor
 * module supplies the wire encoding; this file owns sockets, recording and the script.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ToolCallSpec {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}

export interface UsageSpec {
  prompt: number;
  completion: number;
}

/** What the fake vendor does with one request. */
export type Behaviour =
  /** A complete JSON answer; streamed in the vendor's format when the request asked for a stream. */
  | { kind: 'reply'; text?: string; toolCalls?: ToolCallSpec[]; usage?: UsageSpec; delayMs?: number }
  /** A stream of these text pieces (also used for a plain JSON answer joined together). */
  | { kind: 'stream'; chunks: string[]; toolCalls?: ToolCallSpec[]; usage?: UsageSpec; chunkDelayMs?: number }
  /** An error status with the vendor's error body and any headers (Retry-After, ...). */
  | { kind: 'error'; status: number; headers?: Record<string, string>; message?: string; code?: string }
  /** 200 with a body that breaks off mid-JSON (or a stream of garbage). */
  | { kind: 'malformed' }
  /** Reads the request and never answers. */
  | { kind: 'hang' }
  /** Sends the first chunks of a stream, then goes silent. */
  | { kind: 'stream-hang'; chunks: string[] }
  /** Destroys the connection without an answer. */
  | { kind: 'reset' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** Arrival, `Date.now()` when the body was complete. */
  at: number;
  /** Set when the answer was fully written, `Date.now()`. */
  doneAt?: number;
  /** Calls in flight at this server when this one arrived, itself included. */
  concurrent: number;
}

export type Script = (req: RecordedRequest, index: number) => Behaviour | Promise<Behaviour>;

/** The wire format of one vendor. */
export interface VendorEncoding {
  /** The path the SDK posts chat calls to. */
  path: string;
  /** Whether the request body asks for a stream. */
  wantsStream(body: any): boolean;
  /** Writes a whole answer (JSON) for a reply behaviour. */
  reply(res: ServerResponse, b: ReplyLike, req: RecordedRequest): void;
  /** Writes the streaming answer, chunk by chunk, awaiting `pause` between chunks. */
  stream(res: ServerResponse, b: ReplyLike, req: RecordedRequest, pause: () => Promise<void>): Promise<void>;
  /** Writes the first chunks of a stream and returns without ending the response. */
  streamStart(res: ServerResponse, chunks: string[], req: RecordedRequest): void;
  /** Writes a 200 answer whose body is broken in this vendor's format (stream or JSON). */
  malformed(res: ServerResponse, stream: boolean): void;
  /** The vendor's error body for a status. */
  errorBody(status: number, message: string, code?: string): unknown;
  /** Checks auth headers; returns an error behaviour to answer instead, or undefined. */
  checkAuth?(req: RecordedRequest): Behaviour | undefined;
}

export interface ReplyLike {
  chunks: string[];
  toolCalls: ToolCallSpec[];
  usage: UsageSpec;
}

export interface VendorServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script for the following requests. */
  setScript(script: Script): void;
  /** Highest number of calls that were in flight at once. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function toReply(b: Extract<Behaviour, { kind: 'reply' | 'stream' }>): ReplyLike {
  const chunks = b.kind === 'stream' ? b.chunks : b.text !== undefined ? [b.text] : [];
  return { chunks, toolCalls: b.toolCalls ?? [], usage: b.usage ?? { prompt: 10, completion: 5 } };
}

export async function startVendorServer(encoding: VendorEncoding, script: Script): Promise<VendorServer> {
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let current = script;
  let active = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: any;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = raw;
      }
      active++;
      peak = Math.max(peak, active);
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
        concurrent: active,
      };
      const index = requests.length;
      requests.push(rec);
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        active--;
        rec.doneAt = Date.now();
      };
      res.on('close', finish);
      void handle(rec, index, res)
        .then(() => {
          if (res.writableEnded) finish();
        })
        .catch(() => res.destroy());
    });
  });

  async function handle(rec: RecordedRequest, index: number, res: ServerResponse): Promise<void> {
    if (rec.method !== 'POST' || rec.path !== encoding.path) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(encoding.errorBody(404, `no route ${rec.method} ${rec.path}`)));
      return;
    }
    const b = encoding.checkAuth?.(rec) ?? (await current(rec, index));
    switch (b.kind) {
      case 'reply':
      case 'stream': {
        if (b.kind === 'reply' && b.delayMs) await sleep(b.delayMs);
        const reply = toReply(b);
        if (encoding.wantsStream(rec.body)) {
          const gap = b.kind === 'stream' ? (b.chunkDelayMs ?? 0) : 0;
          await encoding.stream(res, reply, rec, () => (gap > 0 ? sleep(gap) : Promise.resolve()));
        } else encoding.reply(res, reply, rec);
        return;
      }
      case 'error':
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
        res.end(JSON.stringify(encoding.errorBody(b.status, b.message ?? `error ${b.status}`, b.code)));
        return;
      case 'malformed':
        encoding.malformed(res, encoding.wantsStream(rec.body));
        return;
      case 'hang':
        return;
      case 'stream-hang':
        encoding.streamStart(res, b.chunks, rec);
        return;
      case 'reset':
        res.socket?.destroy();
        return;
    }
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(s) {
      current = s;
    },
    maxConcurrent: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A script that plays the behaviours in order and then repeats the last one. */
export function sequence(...behaviours: Behaviour[]): Script {
  let n = 0;
  return () => behaviours[Math.min(n++, behaviours.length - 1)]!;
}
