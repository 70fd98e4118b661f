/** @module Nodes: the worker runtime (remote or built-in local) that runs tasks with its skills. */
export { NodeRuntime, defaultNodeId, type NodeRuntimeOptions, type AgentRunner } from './node-runtime.js';
export { InProcessLink, type InProcessLinkOptions, type NodeLink } from './node-link.js';
export { localNodeService, type LocalNodeOptions } from './local-node-service.js';
