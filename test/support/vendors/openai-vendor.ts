/**
 * @module Test support: a fake OpenAI `/v1/chat/completions` speaking the real wire format: JSON
 * completions, SSE `data:` chunks ending in `data: [DONE]`, tool calls and `{"error": {...}}` bodies.
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

function toolCalls(r: ReplyLike) {
  return r.toolCalls.map((c, i) => ({
    id: c.id ?? `call_${i}_${++seq}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }));
}

function sse(res: ServerResponse, data: unknown): void {
  res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

function head(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

export const openAiEncoding: VendorEncoding = {
  path: '/v1/chat/completions',
  wantsStream: (body) => body?.stream === true,
  checkAuth(req: RecordedRequest) {
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
      return { kind: 'error', status: 401, message: 'You did not provide an API key.' };
    }
    return undefined;
  },
  reply(res, r, req) {
    const calls = toolCalls(r);
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${++seq}` });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${++seq}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: req.body?.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: r.chunks.length > 0 ? r.chunks.join('') : null,
              ...(calls.length > 0 ? { tool_calls: calls } : {}),
              refusal: null,
            },
            logprobs: null,
            finish_reason: calls.length > 0 ? 'tool_calls' : 'stop',
          },
        ],
        usage: {
          prompt_tokens: r.usage.prompt,
          completion_tokens: r.usage.completion,
          total_tokens: r.usage.prompt + r.usage.completion,
        },
      }),
    );
  },
  async stream(res, r, req, pause) {
    const id = `chatcmpl-${++seq}`;
    const base = {
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: req.body?.model,
    };
    head(res);
    sse(res, {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    for (const text of r.chunks) {
      await pause();
      sse(res, { ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
    }
    toolCalls(r).forEach((c, index) => {
      const args = c.function.arguments;
      const half = Math.floor(args.length / 2);
      sse(res, {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } },
              ],
            },
            finish_reason: null,
          },
        ],
      });
      for (const part of [args.slice(0, half), args.slice(half)]) {
        sse(res, {
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index, function: { arguments: part } }] },
              finish_reason: null,
            },
          ],
        });
      }
    });
    sse(res, {
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: r.toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    });
    if (req.body?.stream_options?.include_usage) {
      sse(res, {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: r.usage.prompt,
          completion_tokens: r.usage.completion,
          total_tokens: r.usage.prompt + r.usage.completion,
        },
      });
    }
    sse(res, '[DONE]');
    res.end();
  },
  streamStart(res, chunks, req) {
    head(res);
    for (const text of chunks) {
      sse(res, {
        id: 'chatcmpl-hang',
        object: 'chat.completion.chunk',
        created: 0,
        model: req.body?.model,
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
      });
    }
  },
  malformed(res, stream) {
    if (stream) {
      head(res);
      res.end('data: {"id": "chatcmpl-x", "choices": [{"delta": \n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-x", "choices": [ {"message": ');
    }
  },
  errorBody(status, message, code) {
    const type =
      status === 429
        ? 'requests'
        : status === 401
          ? 'invalid_request_error'
          : status >= 500
            ? 'server_error'
            : 'invalid_request_error';
    return {
      error: { message, type, param: null, code: code ?? (status === 401 ? 'invalid_api_key' : null) },
    };
  },
};

export function startOpenAiVendor(script: Script): Promise<VendorServer> {
  return startVendorServer(openAiEncoding, script);
}
