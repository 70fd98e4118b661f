/** @module Small key/value settings on SQLite. */
import type Database from 'better-sqlite3-multiple-ciphers';
import { GatewayError } from '../../protocol/index.js';
import type { MetaStore } from '../types.js';
import { durableWrite, NO_BARRIER, type Durable } from './durable-write.js';
import { guard } from './sqlite-errors.js';

function checkKey(key: string): void {
  if (key === '') throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: 'meta key is empty' });
}

export class SqliteMetaStore implements MetaStore {
  readonly #get: Database.Statement<[string], { value: string }>;
  readonly #set: Database.Statement<[string, string, string]>;
  readonly #delete: Database.Statement<[string]>;

  readonly #durable: Durable;

  constructor(db: Database.Database, durable: Durable = NO_BARRIER) {
    this.#durable = durable;
    this.#get = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#set = db.prepare(`INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    this.#delete = db.prepare('DELETE FROM meta WHERE key = ?');
  }

  /** Runs one write and resolves once it is durable. */
  #write<T>(fn: () => T): Promise<T> {
    return durableWrite(this.#durable, fn);
  }

  async get(key: string): Promise<string | null> {
    checkKey(key);
    return guard(() => this.#get.get(key))?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    if (typeof value !== 'string') {
      throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', { reason: 'meta values are strings' });
    }
    await this.#write(() => this.#set.run(key, value, new Date().toISOString()));
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return (await this.#write(() => this.#delete.run(key))).changes > 0;
  }
}
