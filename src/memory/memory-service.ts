/**
 * @module Plugs workspace memory into a gateway: the workspace.* and memory.* methods, their REST
 * routes, compaction after appends, background embedding, and the memory metrics. Nodes reach memory
 * only through these methods (R6.1).
 */
import type { z } from 'zod';
import { MemoryConfigSchema, type MemoryConfig } from '../config/memory-schema.js';
import type { GatewayContext, GatewayService, RestRequest, ServiceFactory } from '../gateway/index.js';
import { registerSecret } from '../observability/index.js';
import {
  GatewayError,
  MemoryAppendParamsSchema,
  MemoryKindSchema,
  WorkspaceIdSchema,
} from '../protocol/index.js';
import type { MemoryEntry, MemoryKind, WorkspaceStore } from '../store/index.js';
import { toNewEntry, type MemoryAppendParams } from './append-input.js';
import { Compactor } from './compactor.js';
import { EmbeddingIndexer } from './embeddings/embedding-indexer.js';
import { embeddingsFromConfig, type EmbeddingProvider } from './embeddings/embedding-provider.js';
import type { Summarize } from './extractive-summary.js';
import { searchMemory, type SearchResponse } from './memory-search.js';
import { workspaceView, type WorkspaceView } from './workspace-view.js';

/** The key under which another service may offer a summariser (e.g. the LLM service), looked up per compaction. */
export const SUMMARIZE_SHARED_KEY = 'memory.summarize';

export interface MemoryServiceOptions {
  /** The `memory:` config section. Default: `config.memory` of the gateway, else every default. */
  config?: z.input<typeof MemoryConfigSchema>;
  /**
   * Summariser of history compaction. Default: `ctx.shared.get('memory.summarize')` when another
   * service offers one, else the deterministic extractive summary.
   */
  summarize?: Summarize;
  /** Embedding provider for hybrid search. Default: from `memory.embeddings` (none without a model). */
  embeddings?: EmbeddingProvider | null;
}

/** What the service offers other services under `ctx.shared.get('memory')`. */
export interface MemoryApi {
  store: WorkspaceStore;
  config: MemoryConfig;
  append(params: MemoryAppendParams, who?: { nodeId?: string }): Promise<MemoryEntry>;
  view(id: string, messages?: number): Promise<WorkspaceView>;
  search(workspace: string, query: string, limit?: number, kinds?: MemoryKind[]): Promise<SearchResponse>;
  compactor: Compactor;
  indexer: EmbeddingIndexer | null;
}

function invalid(path: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: `${path}: ${message}`, path });
}

function workspaceParam(req: RestRequest): string {
  const id = req.params.id ?? '';
  if (!WorkspaceIdSchema.safeParse(id).success) throw new GatewayError('GW_ERR_WORKSPACE_INVALID', { id });
  return id;
}

function intQuery(req: RestRequest, name: string, min: number, max: number): number | undefined {
  const raw = req.query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalid(name, `expected a whole number ${min}..${max}`);
  return n;
}

function kindsQuery(req: RestRequest): MemoryKind[] | undefined {
  const raw = req.query
    .getAll('kind')
    .flatMap((k) => k.split(','))
    .filter(Boolean);
  if (raw.length === 0) return undefined;
  return raw.map((k) => {
    const r = MemoryKindSchema.safeParse(k);
    if (!r.success) throw invalid('kind', `unknown kind ${k}`);
    return r.data;
  });
}

export function memoryService(options: MemoryServiceOptions = {}): ServiceFactory {
  return async (ctx: GatewayContext): Promise<GatewayService> => {
    const raw = options.config ?? (ctx.config as { memory?: unknown }).memory ?? {};
    const parsed = MemoryConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GatewayError(
        'GW_ERR_CONFIG_INVALID',
        {},
        `invalid config: memory.${issue.path.join('.')}: ${issue.message}`,
      );
    }
    const cfg = parsed.data;
    const store = ctx.stores.workspaces;
    const log = ctx.logger.child({ component: 'memory' });
    if (cfg.embeddings.api_key) registerSecret(cfg.embeddings.api_key);
    const provider =
      options.embeddings !== undefined ? options.embeddings : embeddingsFromConfig(cfg.embeddings);

    const compactor = new Compactor({
      store,
      config: cfg.compaction,
      summarizer: () => options.summarize ?? (ctx.shared.get(SUMMARIZE_SHARED_KEY) as Summarize | undefined),
      logger: log,
      onCompacted: () => {
        ctx.metrics.memoryEntries.inc();
        indexer?.kick();
      },
    });
    const indexer = provider
      ? new EmbeddingIndexer({ store, provider, batchSize: cfg.embeddings.batch_size, logger: log })
      : null;

    const totals = await store.totals();
    ctx.metrics.memoryEntries.inc(totals.entries);
    ctx.metrics.workspaceCount.set(totals.workspaces);
    // Imports by the CLI write to the same file from another process; the gauge catches up here.
    const refresh = setInterval(() => {
      void store.totals().then(
        (t) => ctx.metrics.workspaceCount.set(t.workspaces),
        () => undefined,
      );
    }, 60_000).unref();

    const appendEntry = async (params: MemoryAppendParams, who: { nodeId?: string } = {}) => {
      const isNewWorkspace = (await store.get(params.workspace)) === null;
      const res = await store.append(toNewEntry(params, who));
      if (res.created) {
        ctx.metrics.memoryEntries.inc();
        if (isNewWorkspace) ctx.metrics.workspaceCount.inc();
        const kind = res.entry.kind;
        if (kind === 'message' || kind === 'tool_call') void compactor.maybeCompact(res.entry.workspace);
        indexer?.kick();
      }
      return res;
    };
    const append = async (params: MemoryAppendParams, who: { nodeId?: string } = {}) =>
      (await appendEntry(params, who)).entry;
    const view = (id: string, messages?: number) =>
      workspaceView(store, id, { messages: messages ?? cfg.history_messages });
    const search = (workspace: string, query: string, limit?: number, kinds?: MemoryKind[]) =>
      searchMemory(store, workspace, query, {
        limit: limit ?? cfg.search_limit,
        ...(kinds ? { kinds } : {}),
        embeddings: provider,
        logger: log,
      });
    const list = async (limit = 1000) => ({ workspaces: await store.list({ limit }) });

    const api: MemoryApi = { store, config: cfg, append, view, search, compactor, indexer };
    ctx.shared.set('memory', api);

    const r = ctx.server.router;
    r.register('workspace.list', () => list());
    r.register('workspace.get', (p) => view(p.id, p.messages));
    r.register('memory.append', (p, call) => append(p, call.nodeId ? { nodeId: call.nodeId } : {}));
    r.register('memory.search', (p) => search(p.workspace, p.query, p.limit, p.kinds));

    const ops = ['operator', 'admin'] as const;
    const rest = ctx.server.rest;
    rest.route('GET', '/api/workspaces', ops, async (req) => ({
      status: 200,
      body: await list(intQuery(req, 'limit', 1, 10_000)),
    }));
    rest.route('GET', '/api/workspaces/:id', ops, async (req) => ({
      status: 200,
      body: await view(workspaceParam(req), intQuery(req, 'messages', 0, 10_000)),
    }));
    rest.route('GET', '/api/workspaces/:id/memory', ops, async (req) => {
      const id = workspaceParam(req);
      const q = req.query.get('q')?.trim() ?? '';
      const limit = intQuery(req, 'limit', 1, 200);
      const kinds = kindsQuery(req);
      if (q.length > 2000) throw invalid('q', 'at most 2000 characters');
      if (q) return { status: 200, body: await search(id, q, limit, kinds) };
      // Without a query: the newest entries, paged backwards with ?before=<seq>.
      const before = intQuery(req, 'before', 1, Number.MAX_SAFE_INTEGER);
      const entries = await store.entries(id, {
        limit: limit ?? 50,
        ...(kinds ? { kinds } : {}),
        ...(before !== undefined ? { beforeSeq: before } : {}),
      });
      return {
        status: 200,
        body: {
          workspace: id,
          entries,
          next_before: entries.length === (limit ?? 50) ? entries[0]!.seq : null,
        },
      };
    });
    rest.route('POST', '/api/workspaces/:id/memory', ops, async (req) => {
      const id = workspaceParam(req);
      const body = req.body && typeof req.body === 'object' ? req.body : {};
      const res = MemoryAppendParamsSchema.safeParse({ ...body, workspace: id });
      if (!res.success) {
        const issue = res.error.issues[0]!;
        throw invalid(issue.path.join('.') || 'body', issue.message);
      }
      const { entry, created } = await appendEntry(res.data);
      return { status: created ? 201 : 200, body: entry };
    });

    if (indexer) {
      log.info({ event: 'memory_embeddings', model: provider!.model }, 'hybrid memory search enabled');
      indexer.kick();
    }

    return {
      name: 'memory',
      drain: async (deadline) => {
        // Running compactions may finish (their summary is worth keeping); stop() aborts the rest.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          compactor.idle(),
          new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
        ]);
        clearTimeout(timer);
      },
      stop: async () => {
        clearInterval(refresh);
        await Promise.all([compactor.stop(), indexer?.stop()]);
      },
    };
  };
}
