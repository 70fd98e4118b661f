/**
 * @module A loopback server speaking the OpenAI `/v1/embeddings` wire format, for tests. Its vectors
 * put synonyms on one axis ("car", "automobile", "汽車" alike), so a vector search finds what a
 * full-text search cannot. It can be told to fail, to prove the full-text fallback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const CONCEPTS: readonly (readonly string[])[] = [
  ['car', 'automobile', 'vehicle', '汽車', '車子'],
  ['cat', 'kitten', 'feline', '貓'],
  ['report', 'summary', '報告'],
  ['weather', 'rain', '天氣'],
];

/** One axis per concept, plus one for anything else so that no text embeds to the zero vector. */
export function conceptVector(text: string): number[] {
  const t = text.toLowerCase();
  const v = CONCEPTS.map((words) => words.filter((w) => t.includes(w)).length);
  v.push(0.05);
  return v;
}

export interface EmbeddingsServer {
  url: string;
  /** Inputs of every request, in order. */
  requests: string[][];
  /** While set, every request answers this HTTP status. */
  failWith: number | null;
  close(): Promise<void>;
}

export async function startEmbeddingsServer(): Promise<EmbeddingsServer> {
  const state: EmbeddingsServer = {
    url: '',
    requests: [],
    failWith: null,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      if (state.failWith !== null) {
        res.writeHead(state.failWith, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'embeddings unavailable', type: 'server_error' } }));
        return;
      }
      const parsed = JSON.parse(body) as { input: string | string[]; model: string };
      const inputs = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
      state.requests.push(inputs);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model: parsed.model,
          data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: conceptVector(text) })),
          usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}
