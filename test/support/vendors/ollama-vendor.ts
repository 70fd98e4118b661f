/**
 * @module Test support: a fake Ollama `/api/chat` speaking the real wire format: one JSON object, or
 * NDJSON chunks ending with `"done": true` and the eval counts, tool calls with object arguments and
 * `{"error": "..."}` bodies.
 */
import type { ServerResponse } from 'node:http';
import {
  startVendorServer,
  type ReplyLike,
  type RecordedRequest,
  type Script,
  type VendorEncoding,
  type VendorServer,
} from './vendor-server.js';

function line(res: ServerResponse, data: unknown): void {
  res.write(`${JSON.stringify(data)}\n`);
}

function head(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
}

function done(r: ReplyLike, req: RecordedRequest, content: string, withTools: boolean) {
  return {
    model: req.body?.model,
    created_at: new Date().toISOString(),
    message: {
      role: 'assistant',
      content,
      ...(withTools && r.toolCalls.length > 0
        ? { tool_calls: r.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.args } })) }
        : {}),
    },
    done: true,
    done_reason: 'stop',
    total_duration: 123_456_789,
    load_duration: 1_000_000,
    prompt_eval_count: r.usage.prompt,
    prompt_eval_duration: 2_000_000,
    eval_count: r.usage.completion,
    eval_duration: 3_000_000,
  };
}

export const ollamaEncoding: VendorEncoding = {
  path: '/api/chat',
  // Ollama streams unless told not to.
  wantsStream: (body) => body?.stream !== false,
  reply(res, r, req) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(done(r, req, r.chunks.join(''), true)));
  },
  async stream(res, r, req, pause) {
    head(res);
    for (const text of r.chunks) {
      await pause();
      line(res, {
        model: req.body?.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: text },
        done: false,
      });
    }
    if (r.toolCalls.length > 0) {
      line(res, {
        model: req.body?.model,
        created_at: new Date().toISOString(),
        message: {
          role: 'assistant',
          content: '',
          tool_calls: r.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.args } })),
        },
        done: false,
      });
    }
    line(res, done(r, req, '', false));
    res.end();
  },
  streamStart(res, chunks, req) {
    head(res);
    for (const text of chunks) {
      line(res, {
        model: req.body?.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: text },
        done: false,
      });
    }
  },
  malformed(res, stream) {
    if (stream) {
      head(res);
      res.end('{"model": "x", "message": {"role": \n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"model": "x", "message": {"role": "assistant", "content": ');
    }
  },
  errorBody(_status, message) {
    return { error: message };
  },
};

export function startOllamaVendor(script: Script): Promise<VendorServer> {
  return startVendorServer(ollamaEncoding, script);
}
