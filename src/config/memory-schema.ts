/** @module The `memory:` section of config.yaml: workspace history bounds, compaction, search and embeddings. */
import { z } from 'zod';

type Doc = { description: string; unit?: string; env?: string };
const doc = <T extends z.ZodType>(s: T, d: Doc): T => s.meta(d);

export const MemoryCompactionConfigSchema = z
  .strictObject({
    max_messages: doc(z.int().min(0).max(1_000_000).default(200), {
      description:
        'Live (not yet summarised) messages of a workspace past which older turns are summarised (0 = never compact)',
      unit: 'messages',
    }),
    max_chars: doc(z.int().min(0).max(1_000_000_000).default(200_000), {
      description:
        'Characters of live messages past which older turns are summarised (0 = no character bound)',
      unit: 'characters',
    }),
    keep_messages: doc(z.int().min(2).max(100_000).default(40), {
      description:
        'Most recent messages left verbatim by a compaction (fewer when they exceed max_chars / 2)',
      unit: 'messages',
    }),
    summary_max_chars: doc(z.int().min(200).max(1_000_000).default(6000), {
      description: 'Longest summary kept; a longer one from the summariser is cut',
      unit: 'characters',
    }),
    retain_compacted: doc(z.boolean().default(true), {
      description:
        'Keep summarised messages (searchable and exported, no longer in the history an agent gets); false deletes them',
    }),
  })
  .prefault({});

export const MemoryEmbeddingsConfigSchema = z
  .strictObject({
    model: doc(z.string().min(1).optional(), {
      description:
        'Embedding model of an OpenAI-compatible /embeddings endpoint; set it to turn on hybrid (full-text + vector) search',
    }),
    base_url: doc(z.url().optional(), {
      description: 'Embeddings API base URL (default OPENAI_BASE_URL, else https://api.openai.com/v1)',
    }),
    api_key: doc(z.string().optional(), {
      description: 'API key of the embeddings endpoint (default OPENAI_API_KEY). Never logged',
    }),
    dimensions: doc(z.int().min(1).max(65_536).optional(), {
      description: 'Requested vector size, for models that accept one (default: the model’s own)',
    }),
    timeout: doc(z.number().positive().max(600).default(10), {
      description: 'One embeddings request; a search whose query embedding times out uses full text only',
      unit: 's',
    }),
    batch_size: doc(z.int().min(1).max(2048).default(32), {
      description: 'Entries embedded per request by the background indexer',
      unit: 'entries',
    }),
  })
  .prefault({});

export const MemoryConfigSchema = z
  .strictObject({
    history_messages: doc(z.int().min(0).max(10_000).default(50), {
      description: 'Recent messages workspace.get returns (the history an agent resumes with)',
      unit: 'messages',
    }),
    search_limit: doc(z.int().min(1).max(200).default(20), {
      description: 'Results of memory.search when the request sets no limit',
      unit: 'results',
    }),
    compaction: MemoryCompactionConfigSchema,
    embeddings: MemoryEmbeddingsConfigSchema,
  })
  .prefault({});

export type MemoryConfig = z.infer<typeof MemoryConfigSchema>;
export type MemoryCompactionConfig = z.infer<typeof MemoryCompactionConfigSchema>;
export type MemoryEmbeddingsConfig = z.infer<typeof MemoryEmbeddingsConfigSchema>;
