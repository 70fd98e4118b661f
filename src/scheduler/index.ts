/** @module Scheduling: the durable task queue, dependencies, dispatch to nodes, leases and timeouts. */
export { Scheduler, type SchedulerOptions, type SchedulerHooks } from './scheduler.js';
export { schedulerService, type SchedulerServiceOptions } from './scheduler-service.js';
export { NodePool, type NodeHandle } from './node-pool.js';
export { buildTask, newTaskId } from './task-factory.js';
