/**
 * @module Test support: a fake Anthropic `/v1/messages` speaking the real wire format: JSON messages with
 * text and tool_use blocks, SSE events (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping) and `{"type": "error", "error": {...}}` bodies.
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

let seq = 0;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function event(res: ServerResponse, type: string, data: Record<string, unknown>): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function head(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': `req_${++seq}`,
  });
}

function blocks(r: ReplyLike) {
  const out: Array<Record<string, unknown>> = [];
  if (r.chunks.length > 0) out.push({ type: 'text', text: r.chunks.join('') });
  for (const c of r.toolCalls)
    out.push({ type: 'tool_use', id: c.id ?? `toolu_${++seq}`, name: c.name, input: c.args });
  return out;
}

function start(res: ServerResponse, req: RecordedRequest, id: string, inputTokens: number): void {
  event(res, 'message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: req.body?.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1 },
    },
  });
}

export const anthropicEncoding: VendorEncoding = {
  path: '/v1/messages',
  wantsStream: (body) => body?.stream === true,
  checkAuth(req) {
    // The API takes the key as x-api-key or, as SDK 1.x sends it, as a bearer token.
    const bearer = /^Bearer \S+/.test(String(req.headers.authorization ?? ''));
    if (!req.headers['x-api-key'] && !bearer) {
      return { kind: 'error', status: 401, message: 'x-api-key header is required' };
    }
    if (!req.headers['anthropic-version'])
      return { kind: 'error', status: 400, message: 'anthropic-version header is required' };
    if (typeof req.body?.max_tokens !== 'number')
      return { kind: 'error', status: 400, message: 'max_tokens: Field required' };
    return undefined;
  },
  reply(res, r, req) {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${++seq}` });
    res.end(
      JSON.stringify({
        id: `msg_${++seq}`,
        type: 'message',
        role: 'assistant',
        model: req.body?.model,
        content: blocks(r),
        stop_reason: r.toolCalls.length > 0 ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: r.usage.prompt, output_tokens: r.usage.completion },
      }),
    );
  },
  async stream(res, r, req, pause) {
    head(res);
    start(res, req, `msg_${++seq}`, r.usage.prompt);
    let index = 0;
    if (r.chunks.length > 0) {
      event(res, 'content_block_start', { index, content_block: { type: 'text', text: '' } });
      event(res, 'ping', {});
      for (const text of r.chunks) {
        await pause();
        event(res, 'content_block_delta', { index, delta: { type: 'text_delta', text } });
      }
      event(res, 'content_block_stop', { index });
      index++;
    }
    for (const c of r.toolCalls) {
      const json = JSON.stringify(c.args);
      const half = Math.floor(json.length / 2);
      event(res, 'content_block_start', {
        index,
        content_block: { type: 'tool_use', id: c.id ?? `toolu_${++seq}`, name: c.name, input: {} },
      });
      for (const part of [json.slice(0, half), json.slice(half)]) {
        event(res, 'content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
      }
      event(res, 'content_block_stop', { index });
      index++;
    }
    event(res, 'message_delta', {
      delta: { stop_reason: r.toolCalls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: r.usage.completion },
    });
    event(res, 'message_stop', {});
    res.end();
  },
  streamStart(res, chunks, req) {
    head(res);
    start(res, req, 'msg_hang', 1);
    event(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    for (const text of chunks)
      event(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  },
  malformed(res, stream) {
    if (stream) {
      head(res);
      res.end('event: message_start\ndata: {"type": "message_start", "message": {\n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "msg_x", "type": "message", "content": [');
    }
  },
  errorBody(status, message) {
    return { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } };
  },
};

export function startAnthropicVendor(script: Script): Promise<VendorServer> {
  return startVendorServer(anthropicEncoding, script);
}
