/** @module Configuration: schema, layered loading and the generated reference. */
export * from './schema.js';
export { NodeFileSchema, type NodeFileConfig } from './node-schema.js';
export { loadConfig, defaultOpenclawDir, deepMerge, type LoadConfigOptions } from './load.js';
export { expandEnv } from './expand-env.js';
export { ENV_KEYS, getPath } from './env-layer.js';
export { listKeys, type KeyDoc } from './key-catalogue.js';
export { renderConfigReference } from './generate-docs.js';
export { loadNodeFile } from './load-node-file.js';
export { PACKAGE_VERSION } from './version.js';
export { CronConfigJobSchema, type CronConfigJob } from './cron-schema.js';
export { MemoryConfigSchema, type MemoryConfig } from './memory-schema.js';
