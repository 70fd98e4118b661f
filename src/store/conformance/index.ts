/**
 * @module Backend conformance suites (node:test). Kept out of the store's main surface so production
 * code never loads the test runner; a backend's test file imports this.
 */
export { runTaskStoreConformance, type MakeTaskStore } from './task-store.conformance.js';
export { runRevocationStoreConformance, type MakeRevocationStore } from './revocation-store.conformance.js';
export { runMetaStoreConformance, type MakeMetaStore } from './meta-store.conformance.js';
export { makeTask, isoAgo } from './task-fixtures.js';
