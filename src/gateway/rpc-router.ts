/** @module Method dispatch: role checks and param validation from the protocol's METHODS table. */
import { z } from 'zod';
import { GatewayError, METHODS, isMethodName, type MethodName, type Role } from '../protocol/index.js';
import type { Session } from './session-registry.js';

export interface CallContext {
  role: Role;
  /** Token id or principal name; stable per credential. */
  principal: string;
  session: Session;
  connectionId: string;
  /** Set for node connections: the declared node id. */
  nodeId?: string;
  remoteAddress: string;
  /** `client.name` from the connect frame (e.g. openclaw-cli, openclaw-web). */
  clientName: string;
}

export type MethodHandler = (params: any, ctx: CallContext) => unknown | Promise<unknown>;

export class RpcRouter {
  private readonly handlers = new Map<string, MethodHandler>();

  register<M extends MethodName>(
    method: M,
    handler: (params: z.infer<(typeof METHODS)[M]['params']>, ctx: CallContext) => unknown,
  ): void {
    if (this.handlers.has(method)) throw new Error(`method ${method} registered twice`);
    this.handlers.set(method, handler as MethodHandler);
  }

  methods(): string[] {
    return [...this.handlers.keys()].sort();
  }

  async dispatch(method: string, rawParams: unknown, ctx: CallContext): Promise<unknown> {
    const handler = this.handlers.get(method);
    if (!handler || !isMethodName(method))
      throw new GatewayError('GW_ERR_PROTOCOL_UNKNOWN_METHOD', { method });
    const spec = METHODS[method];
    const roles = spec.roles as readonly Role[];
    // admin may call everything an operator may; node methods stay node-only.
    const allowed = roles.includes(ctx.role) || (ctx.role === 'admin' && roles.includes('operator'));
    if (!allowed)
      throw new GatewayError('GW_ERR_AUTH_FORBIDDEN_ROLE', { role: ctx.role, action: `call ${method}` });
    const parsed = (spec.params as z.ZodType).safeParse(rawParams);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.map(String).join('.');
      throw new GatewayError('GW_ERR_PROTOCOL_INVALID_PARAMS', {
        reason: `${path || 'params'}: ${issue.message}`,
        path,
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      });
    }
    return handler(parsed.data, ctx);
  }
}
