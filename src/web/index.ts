/** @module The Web UI: static files served on `/` of the gateway port. */
export { createWebHandler } from './web-handler.js';
