/** @module Protocol v1: the single definition of frames, methods, objects and errors. */
export * from './errors.js';
export * from './frames.js';
export * from './task.js';
export * from './node.js';
export * from './handshake.js';
export * from './methods.js';
export * from './close-codes.js';
export * from './cron.js';
export * from './write-batching.js';
