/** @module Loads ~/.openclaw/node.yaml (seed 9.4) with `${ENV}` expansion. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { GatewayError } from '../protocol/index.js';
import { expandEnv } from './expand-env.js';
import { NodeFileSchema, type NodeFileConfig } from './node-schema.js';
import { describeIssue } from './format-issue.js';

export function loadNodeFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  required = false,
): NodeFileConfig {
  if (!existsSync(path)) {
    if (required)
      throw new GatewayError('GW_ERR_CONFIG_INVALID', { file: path }, `node config ${path} not found`);
    return NodeFileSchema.parse({});
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      { file: path },
      `node config ${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const res = NodeFileSchema.safeParse(expandEnv(raw, env, path));
  if (!res.success) {
    const lines = res.error.issues.map((i) =>
      describeIssue(i, raw, `file ${path}`).replace(/; allowed here:.*$/, ''),
    );
    throw new GatewayError('GW_ERR_CONFIG_INVALID', {}, `invalid node config: ${lines.join('; ')}`);
  }
  return res.data;
}
