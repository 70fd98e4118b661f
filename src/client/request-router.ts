/** @module Answers to gateway-initiated requests (PROTOCOL: either side may send requests). */
import { GatewayError, toGatewayError, type RequestFrame, type ResponseFrame } from '../protocol/index.js';

export type RequestHandler = (params: Record<string, unknown>) => unknown;

export class RequestRouter {
  readonly #handlers = new Map<string, RequestHandler>();

  handle(method: string, handler: RequestHandler): void {
    this.#handlers.set(method, handler);
  }

  /**
   * The response to `frame`: the handler's result, the GatewayError it threw, GW_ERR_GATEWAY_INTERNAL for
   * any other throw (its message may hold local paths or secrets, so it stays on this side), or
   * GW_ERR_PROTOCOL_UNKNOWN_METHOD when nothing handles the method.
   */
  async answer(frame: RequestFrame): Promise<ResponseFrame> {
    const handler = this.#handlers.get(frame.method);
    if (!handler) {
      const error = new GatewayError('GW_ERR_PROTOCOL_UNKNOWN_METHOD', { method: frame.method });
      return { type: 'res', id: frame.id, ok: false, error: error.toBody() };
    }
    try {
      const payload = await handler((frame.params ?? {}) as Record<string, unknown>);
      return { type: 'res', id: frame.id, ok: true, payload };
    } catch (err) {
      return { type: 'res', id: frame.id, ok: false, error: toGatewayError(err).toBody() };
    }
  }
}
