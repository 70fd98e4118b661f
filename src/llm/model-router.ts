/**
 * @module Routing by model name: `provider/model`, aliases, bare names a provider declares or whose
 * family is known, the default model, and the fallback chain tried after the chosen route fails.
 */
import { GatewayError } from '../protocol/index.js';
import type { ProviderSettings, ProviderType } from './provider-adapter.js';

export interface Route {
  provider: string;
  model: string;
}

/** Options of `ModelRouter`. */
export interface ModelRouterOptions {
  /** `llm.aliases`: name -> model reference (which may itself be an alias). Default: none. */
  aliases?: Record<string, string>;
  /** `llm.default_model`. Default: the first provider's first model (or its type's usual model). */
  defaultModel?: string;
  /** `llm.fallback`: model references tried in order after the chosen route fails. Default: none. */
  fallback?: readonly string[];
}

/** Used when a provider lists no models; a guess that `models` or `default_model` should replace. */
const TYPE_DEFAULT_MODEL: Partial<Record<ProviderType, string>> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  ollama: 'llama3.2',
};

/** Model families whose vendor is unambiguous, for bare names no provider declared. */
const FAMILIES: ReadonlyArray<readonly [RegExp, ProviderType]> = [
  [/^(gpt-|o\d|chatgpt-|text-embedding-)/i, 'openai'],
  [/^claude-/i, 'anthropic'],
];

const MAX_ALIAS_DEPTH = 8;

export class ModelRouter {
  private readonly byName: Map<string, ProviderSettings>;
  private readonly aliases: Record<string, string>;
  private readonly defaultModel: string | undefined;
  private readonly fallbackRoutes: Route[];

  constructor(
    private readonly providers: readonly ProviderSettings[],
    options: ModelRouterOptions = {},
  ) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
    this.aliases = options.aliases ?? {};
    this.defaultModel = options.defaultModel;
    // Check every configured reference now, so a typo stops start-up instead of the first agent task.
    if (providers.length > 0) {
      for (const alias of Object.keys(this.aliases))
        this.checked(() => this.resolve(alias), `llm.aliases.${alias}`);
      if (this.defaultModel) this.checked(() => this.resolve(this.defaultModel), 'llm.default_model');
    }
    this.fallbackRoutes =
      providers.length === 0
        ? []
        : (options.fallback ?? []).map((ref, i) =>
            this.checked(() => this.resolveName(ref), `llm.fallback[${i}]`),
          );
  }

  private checked<T>(fn: () => T, key: string): T {
    try {
      return fn();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GatewayError('GW_ERR_CONFIG_INVALID', { key, reason }, `invalid config: ${key}: ${reason}`);
    }
  }

  private defaultModelOf(p: ProviderSettings): string {
    const m = p.models[0] ?? TYPE_DEFAULT_MODEL[p.type];
    if (!m) {
      throw new GatewayError('GW_ERR_LLM_MODEL_UNKNOWN', {
        provider: p.name,
        reason: `provider ${p.name} lists no models; name one in the request or in llm.providers.${p.name}.models`,
      });
    }
    return m;
  }

  /** Resolves a model reference (alias, `provider/model` or bare name) to a route. */
  private resolveName(ref: string, depth = 0): Route {
    const alias = this.aliases[ref];
    if (alias !== undefined) {
      if (depth >= MAX_ALIAS_DEPTH) {
        throw new GatewayError('GW_ERR_LLM_MODEL_UNKNOWN', {
          model: ref,
          reason: `alias ${ref} is part of a cycle or nests more than ${MAX_ALIAS_DEPTH} deep`,
        });
      }
      return this.resolveName(alias, depth + 1);
    }
    const slash = ref.indexOf('/');
    if (slash > 0) {
      const p = this.byName.get(ref.slice(0, slash));
      // Model names may contain slashes themselves (`meta-llama/...`); only a known prefix is a provider.
      if (p) {
        const model = ref.slice(slash + 1);
        return { provider: p.name, model: model === '' ? this.defaultModelOf(p) : model };
      }
    }
    const declared = this.providers.find((p) => p.models.includes(ref));
    if (declared) return { provider: declared.name, model: ref };
    for (const [re, type] of FAMILIES) {
      if (!re.test(ref)) continue;
      const p = this.providers.find((x) => x.type === type);
      if (p) return { provider: p.name, model: ref };
    }
    if (this.providers.length === 1) return { provider: this.providers[0]!.name, model: ref };
    throw new GatewayError('GW_ERR_LLM_MODEL_UNKNOWN', {
      model: ref,
      reason:
        `no provider serves model ${ref}; use provider/model with one of ` +
        `${this.providers.map((p) => p.name).join(', ')}, an alias, or list it in llm.providers.<name>.models`,
    });
  }

  /** The route for a request's `model` and optional `provider`. */
  resolve(model?: string, provider?: string): Route {
    if (provider !== undefined) {
      const p = this.byName.get(provider);
      if (!p) {
        throw new GatewayError('GW_ERR_LLM_MODEL_UNKNOWN', {
          provider,
          reason: `unknown provider ${provider}; configured: ${this.providers.map((x) => x.name).join(', ') || 'none'}`,
        });
      }
      if (model === undefined) return { provider, model: this.defaultModelOf(p) };
      const aliased = this.aliases[model] !== undefined ? this.resolveName(model) : undefined;
      if (aliased && aliased.provider === provider) return aliased;
      return { provider, model: model.startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model };
    }
    if (model !== undefined) return this.resolveName(model);
    if (this.defaultModel) return this.resolveName(this.defaultModel);
    const first = this.providers[0];
    if (!first) throw new GatewayError('GW_ERR_LLM_MODEL_UNKNOWN', { reason: 'no provider is configured' });
    return { provider: first.name, model: this.defaultModelOf(first) };
  }

  /** The chosen route followed by the fallback chain, without repeats. */
  candidates(model?: string, provider?: string): Route[] {
    const routes = [this.resolve(model, provider)];
    for (const r of this.fallbackRoutes) {
      if (!routes.some((x) => x.provider === r.provider && x.model === r.model)) routes.push(r);
    }
    return routes;
  }
}
