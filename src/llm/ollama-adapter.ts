/** @module The Ollama provider through the official `ollama` SDK. */
/** Imported on the first call, like the OpenAI SDK (see openai-adapter.ts). */
let sdk: Promise<typeof import('ollama')> | undefined;
import type { ChatRequest } from './chat-types.js';
import { OllamaStreamAccumulator, fromOllamaResponse, toOllamaRequest } from './ollama-translate.js';
import {
  HttpStatusError,
  MalformedResponseError,
  type AttemptOptions,
  type AttemptResult,
  type ProviderAdapter,
  type ProviderSettings,
} from './provider-adapter.js';

function errorText(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: unknown };
    if (typeof v?.error === 'string') return v.error;
  } catch {
    // not JSON: keep the text
  }
  return body;
}

/**
 * Passes an NDJSON body through unchanged, but fails it at the first line that is not JSON. The SDK
 * would print such a line to the console, skip it and fail later with a vaguer message.
 */
function checkedNdjson(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let pending = '';
  const check = (line: string, controller: TransformStreamDefaultController<Uint8Array>): boolean => {
    if (line.trim() === '') return true;
    try {
      JSON.parse(line);
      return true;
    } catch {
      controller.error(new MalformedResponseError('a stream line is not JSON'));
      return false;
    }
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (!check(line, controller)) return;
        controller.enqueue(chunk);
      },
      flush(controller) {
        pending += decoder.decode();
        check(pending, controller);
      },
    }),
  );
}

/**
 * The SDK takes no per-call signal for non-streaming calls and drops response headers (Retry-After)
 * from its errors, so each attempt gets a client whose fetch carries the attempt's signal and turns
 * non-2xx answers into HttpStatusError itself (which also keeps the SDK from printing to the console).
 */
function attemptFetch(signal: AbortSignal): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, { ...init, signal });
    if (!res.ok) {
      const body = await res.text().catch(() => '');
      throw new HttpStatusError(res.status, res.headers, errorText(body));
    }
    if (res.body && /ndjson/i.test(res.headers.get('content-type') ?? '')) {
      return new Response(checkedNdjson(res.body), { status: res.status, headers: res.headers });
    }
    return res;
  };
}

export function createOllamaAdapter(settings: ProviderSettings): ProviderAdapter {
  return {
    type: 'ollama',
    async chat(model: string, request: ChatRequest, options: AttemptOptions): Promise<AttemptResult> {
      const { Ollama } = await (sdk ??= import('ollama'));
      const client = new Ollama({
        host: settings.baseUrl ?? 'http://127.0.0.1:11434',
        fetch: attemptFetch(options.signal),
        ...(options.apiKey ? { headers: { Authorization: `Bearer ${options.apiKey}` } } : {}),
      });
      const body = toOllamaRequest(model, request);
      if (!options.onDelta) {
        const res = await client.chat({ ...(body as any), stream: false });
        return fromOllamaResponse(res, model);
      }
      const stream = await client.chat({ ...(body as any), stream: true });
      const acc = new OllamaStreamAccumulator();
      for await (const chunk of stream) {
        options.onActivity?.();
        acc.push(chunk, options.onDelta);
      }
      return acc.result(model);
    },
  };
}
