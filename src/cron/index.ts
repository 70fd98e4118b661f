/** @module Cron: jobs that fire each slot exactly once, with overlap and catch-up policies. */
export { CronSchedule, assertTimeZone } from './cron-expression.js';
export { CronEngine, type CronEngineOptions, type CronTaskSink } from './cron-engine.js';
export { cronService, newJob } from './cron-service.js';
export { timeoutWarnings, type TimeoutWarning } from './timeout-alignment.js';
