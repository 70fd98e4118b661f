/** @module Opens the store backend the configuration names (SQLite embedded; Redis with cluster mode). */
import type { ResolvedConfig } from '../config/index.js';
import { GatewayError } from '../protocol/index.js';
import { createSqliteStores, openSqliteDatabase, type Stores } from '../store/index.js';

export async function openGatewayStores(cfg: ResolvedConfig): Promise<Stores> {
  if (cfg.store.backend === 'redis') {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      {},
      'store.backend redis needs cluster mode, which is not available in this build',
    );
  }
  const db = openSqliteDatabase({
    dataDir: cfg.data_dir,
    filename: cfg.store.filename,
    synchronous: cfg.store.synchronous,
    ...(cfg.store.encryption_key ? { encryptionKey: cfg.store.encryption_key } : {}),
  });
  return createSqliteStores(db);
}
