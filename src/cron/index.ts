/** @module Cron: jobs that fire each slot exactly once, with overlap and catch-up policies. */
export { CronSchedule, assertTimeZone } from './cron-expression.js';
export { CronEngine, type CronEngineOptions } from './cron-engine.js';
export { parseCronKey, type CronTaskSink } from './cron-enqueuer.js';
export { planCatchup, type CatchupPlan } from './catchup-plan.js';
export { cronService, newJob } from './cron-service.js';
export { timeoutWarnings, type TimeoutWarning } from './timeout-alignment.js';
