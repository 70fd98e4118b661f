/** @module In-memory revocation list, for tests and single-process gateways without a durable store. */
// The store layer's index does not re-export its interfaces yet; this is a type-only import.
import type { RevocationStore } from '../../store/types.js';

export interface InMemoryRevocationStoreOptions {
  /** Clock in epoch milliseconds, used to prune entries of tokens that have expired. Default: `Date.now`. */
  now?: () => number;
}

/**
 * Keeps revoked token ids in a Map. Entries whose token has expired are dropped, because an expired
 * token fails verification on its own; entries without an expiry are kept for the life of the process.
 */
export class InMemoryRevocationStore implements RevocationStore {
  readonly #revoked = new Map<string, { expiresAt: number | null; reason: string | undefined }>();
  readonly #now: () => number;

  constructor(options: InMemoryRevocationStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async revoke(jti: string, expiresAt: number | null, reason?: string): Promise<void> {
    this.prune();
    // A second revocation of the same id keeps the later expiry, so a row is never pruned early.
    const prev = this.#revoked.get(jti);
    const keepUntil =
      prev === undefined
        ? expiresAt
        : prev.expiresAt === null || expiresAt === null
          ? null
          : Math.max(prev.expiresAt, expiresAt);
    this.#revoked.set(jti, { expiresAt: keepUntil, reason: reason ?? prev?.reason });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.#revoked.has(jti);
  }

  /** Number of ids currently held (after pruning), for tests and metrics. */
  get size(): number {
    this.prune();
    return this.#revoked.size;
  }

  /** Drops ids whose token has expired; returns how many were removed. */
  prune(): number {
    const t = this.#now();
    let removed = 0;
    for (const [jti, entry] of this.#revoked) {
      if (entry.expiresAt !== null && entry.expiresAt <= t) {
        this.#revoked.delete(jti);
        removed++;
      }
    }
    return removed;
  }
}
