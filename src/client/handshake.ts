/** @module One connection attempt: open the socket, send `connect`, wait for the ConnectResult. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import {
  ConnectResultSchema,
  GatewayError,
  fromErrorBody,
  parseFrame,
  type ConnectParams,
  type ConnectResult,
  type RequestFrame,
} from '../protocol/index.js';
import type { ResolvedClientOptions } from './client-options.js';
import {
  FATAL_CLOSE_CODES,
  closeCodeError,
  describeSocketError,
  httpRefusalError,
  unreachable,
} from './connection-errors.js';

/** Longest HTTP refusal body read to find a JSON error in it. */
const MAX_REFUSAL_BODY = 64 * 1024;

export interface ConnectionAttempt {
  /** Settles once: the result, or a GatewayError (retryable unless retrying cannot help). */
  readonly done: Promise<ConnectResult>;
  /** Ends the attempt with `err` and destroys its socket; no-op once settled. */
  abort(err: GatewayError): void;
  /** Resolves when the attempt's socket has closed (at once if none was created). */
  readonly closed: Promise<void>;
}

export function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

const noop = (): void => {};

/**
 * Starts one attempt. `onEstablished` runs synchronously inside the message callback that carries the
 * ConnectResult: a gateway replaying missed events sends them right behind the result, often in the
 * same TCP read, and ws emits them in the same tick, so the session's own listeners must be in place
 * before that callback returns (a promise continuation would run too late and lose them).
 */
export function startConnectionAttempt(
  o: ResolvedClientOptions,
  params: ConnectParams,
  connectId: string,
  onEstablished: (ws: WebSocket, result: ConnectResult, socket: Duplex | undefined) => void,
): ConnectionAttempt {
  let abort: (err: GatewayError) => void = noop;
  let closed: Promise<void> = Promise.resolve();
  const done = new Promise<ConnectResult>((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined && o.authInHeader) {
      // Header names are case-insensitive; a caller's `Authorization` must not travel beside ours.
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === 'authorization') delete headers[name];
      headers['authorization'] = `Bearer ${o.token}`;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(o.url, { headers, ...o.tls });
    } catch (err) {
      reject(unreachable(o.url, describeSocketError(err)));
      return;
    }
    // Kept for the socket's whole life: ws emits 'error' on terminate() during the upgrade, and an
    // EventEmitter 'error' without a listener would crash the process.
    ws.on('error', noop);
    // The TCP (or TLS) socket underneath, for batching writes (`batchWritesPerTurn`).
    let socket: Duplex | undefined;
    ws.once('upgrade', (res: IncomingMessage) => {
      socket = res.socket;
    });
    closed = new Promise((resolve) => ws.once('close', () => resolve()));

    let settled = false;
    const timer = setTimeout(() => {
      fail(
        ws.readyState === WebSocket.OPEN
          ? new GatewayError('GW_ERR_PROTOCOL_HANDSHAKE_TIMEOUT', { timeout_ms: o.handshakeTimeoutMs })
          : unreachable(o.url, `no connection within ${o.handshakeTimeoutMs} ms`),
      );
    }, o.handshakeTimeoutMs);

    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      ws.off('error', onError);
      ws.off('unexpected-response', onRefused);
      ws.off('open', onOpen);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    const fail = (err: GatewayError): void => {
      if (settled) return;
      finish();
      ws.terminate();
      reject(err);
    };
    abort = fail;

    const onError = (err: Error): void => fail(unreachable(o.url, describeSocketError(err)));
    const onRefused = (_req: unknown, res: IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_REFUSAL_BODY) body += chunk;
      });
      const refuse = (): void =>
        fail(httpRefusalError(o.url, res.statusCode ?? 0, body, res.headers['retry-after']));
      res.on('end', refuse);
      res.on('error', refuse);
    };
    const onOpen = (): void => {
      const frame: RequestFrame = { type: 'req', id: connectId, method: 'connect', params };
      ws.send(JSON.stringify(frame), (err) => {
        if (err) fail(unreachable(o.url, describeSocketError(err)));
      });
    };
    const onMessage = (data: RawData): void => {
      const parsed = parseFrame(rawToString(data));
      // Nothing but the connect reply is legal before it; anything else is ignored, not fatal.
      if (!parsed.ok || parsed.frame.type !== 'res' || parsed.frame.id !== connectId) return;
      const frame = parsed.frame;
      if (!frame.ok) {
        fail(fromErrorBody(frame.error));
        return;
      }
      const result = ConnectResultSchema.safeParse(frame.payload);
      if (!result.success) {
        fail(
          new GatewayError('GW_ERR_PROTOCOL_INVALID_FRAME', {
            reason: `connect result does not match protocol v1: ${result.error.issues[0]?.message ?? ''}`,
          }),
        );
        return;
      }
      finish();
      resolve(result.data);
      onEstablished(ws, result.data, socket);
    };
    const onClose = (code: number, reason: Buffer): void => {
      const text = reason.toString();
      fail(
        FATAL_CLOSE_CODES.has(code)
          ? closeCodeError(o.url, code, text)
          : unreachable(o.url, `closed during the handshake with ${code}${text ? ` (${text})` : ''}`, {
              close_code: code,
            }),
      );
    };

    ws.on('error', onError);
    ws.on('unexpected-response', onRefused);
    ws.on('open', onOpen);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
  return { done, abort: (err) => abort(err), closed };
}
