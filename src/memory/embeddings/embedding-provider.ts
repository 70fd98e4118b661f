/** @module Embedding providers behind one interface; the shipped one speaks the OpenAI-compatible /embeddings API. */
import type OpenAI from 'openai';
import { GatewayError } from '../../protocol/index.js';
import type { MemoryEmbeddingsConfig } from '../../config/memory-schema.js';

/** Turns texts into vectors for hybrid search. Vectors of different `model`s are never compared. */
export interface EmbeddingProvider {
  /** Identity of the vector space (model, plus size when one is requested). */
  readonly model: string;
  /** One vector per text, in order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface OpenAIEmbeddingsOptions {
  model: string;
  /** Default: `OPENAI_BASE_URL`, else https://api.openai.com/v1 (the SDK's own rule). */
  baseURL?: string;
  /** Default: `OPENAI_API_KEY`; local servers without auth get a placeholder. */
  apiKey?: string;
  /** Requested vector size. Default: the model's. */
  dimensions?: number;
  /** One request. Default: 10000 ms. */
  timeoutMs?: number;
}

/** `/embeddings` of OpenAI, Ollama (`/v1`), vLLM, LM Studio and other compatible servers, via the official SDK. */
export class OpenAIEmbeddings implements EmbeddingProvider {
  readonly model: string;
  /** Made on the first embed: the SDK import would cost every gateway start, and most never embed. */
  #client: Promise<OpenAI> | undefined;
  readonly #o: OpenAIEmbeddingsOptions;

  constructor(options: OpenAIEmbeddingsOptions) {
    this.#o = options;
    this.model = options.dimensions ? `${options.model}@${options.dimensions}` : options.model;
  }

  #sdk(): Promise<OpenAI> {
    const o = this.#o;
    this.#client ??= import('openai').then(
      ({ default: Sdk }) =>
        new Sdk({
          apiKey: o.apiKey ?? process.env.OPENAI_API_KEY ?? 'not-needed',
          ...(o.baseURL ? { baseURL: o.baseURL } : {}),
          // The indexer retries on its own schedule; a search falls back to full text at once.
          maxRetries: 0,
          timeout: o.timeoutMs ?? 10_000,
        }),
    );
    return this.#client;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    let res: OpenAI.CreateEmbeddingResponse;
    try {
      res = await (
        await this.#sdk()
      ).embeddings.create(
        {
          model: this.#o.model,
          input: [...texts],
          encoding_format: 'float',
          ...(this.#o.dimensions ? { dimensions: this.#o.dimensions } : {}),
        },
        signal ? { signal } : {},
      );
    } catch (err) {
      // SDK errors carry status and message, never the key; keep only those.
      const status = (err as { status?: number }).status;
      throw new GatewayError('GW_ERR_LLM_PROVIDER_ERROR', {
        provider: 'embeddings',
        reason: `${status ? `HTTP ${status}: ` : ''}${(err as Error).message}`,
      });
    }
    const data = [...(res.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== texts.length || data.some((d) => !Array.isArray(d.embedding))) {
      throw new GatewayError('GW_ERR_LLM_PROVIDER_ERROR', {
        provider: 'embeddings',
        reason: `expected ${texts.length} embeddings, got ${data.length}`,
      });
    }
    return data.map((d) => Float32Array.from(d.embedding));
  }
}

/** The provider `memory.embeddings` configures, or null when no model is set. */
export function embeddingsFromConfig(
  cfg: MemoryEmbeddingsConfig,
  env: NodeJS.ProcessEnv = process.env,
): EmbeddingProvider | null {
  if (!cfg.model) return null;
  const baseURL = cfg.base_url ?? env.OPENAI_BASE_URL;
  const apiKey = cfg.api_key ?? env.OPENAI_API_KEY;
  return new OpenAIEmbeddings({
    model: cfg.model,
    ...(baseURL ? { baseURL } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(cfg.dimensions ? { dimensions: cfg.dimensions } : {}),
    timeoutMs: cfg.timeout * 1000,
  });
}
