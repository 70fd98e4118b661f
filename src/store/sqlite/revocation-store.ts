/** @module Revoked token ids on SQLite, pruned once the tokens they block have expired anyway. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import type { RevocationStore } from '../types.js';
import { durableWrite, NO_BARRIER, type Durable } from './durable-write.js';
import { guard } from './sqlite-errors.js';

export class SqliteRevocationStore implements RevocationStore {
  readonly #revoke: Database.Transaction<
    (jti: string, expiresAt: number | null, reason: string | null) => void
  >;
  readonly #isRevoked: Database.Statement<[string], { one: number }>;

  readonly #durable: Durable;

  constructor(db: Database.Database, durable: Durable = NO_BARRIER) {
    this.#durable = durable;
    const upsert =
      db.prepare(`INSERT INTO revocations (jti, expires_ms, reason, revoked_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (jti) DO UPDATE SET expires_ms = excluded.expires_ms, reason = COALESCE(excluded.reason, reason)`);
    // A row is only needed while its token could still verify, so expired rows go on each revoke.
    const prune = db.prepare('DELETE FROM revocations WHERE expires_ms IS NOT NULL AND expires_ms < ?');
    this.#revoke = db.transaction((jti: string, expiresAt: number | null, reason: string | null) => {
      const now = Date.now();
      prune.run(now);
      upsert.run(jti, expiresAt, reason, new Date(now).toISOString());
    });
    this.#isRevoked = db.prepare('SELECT 1 AS one FROM revocations WHERE jti = ?');
  }

  /** Runs one write and resolves once it is durable. */
  #write<T>(fn: () => T): Promise<T> {
    return durableWrite(this.#durable, fn);
  }

  async revoke(jti: string, expiresAt: number | null, reason?: string): Promise<void> {
    if (jti === '') throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: 'jti is empty' });
    if (expiresAt !== null && !Number.isFinite(expiresAt)) {
      throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
        reason: 'expiresAt must be epoch ms or null',
      });
    }
    const at = expiresAt === null ? null : Math.trunc(expiresAt);
    await this.#write(() => this.#revoke.immediate(jti, at, reason ?? null));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return guard(() => this.#isRevoked.get(jti)) !== undefined;
  }
}
