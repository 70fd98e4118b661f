/** @module Wire frames of protocol v1: request, response and event, one JSON object per text frame. */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** Frames larger than this are refused before the connection has authenticated. */
export const PREAUTH_MAX_FRAME_BYTES = 64 * 1024;

export const ErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const RequestFrameSchema = z.object({
  type: z.literal('req'),
  id: z.string().min(1).max(128),
  method: z.string().min(1).max(128),
  // Any JSON here: the method's own schema judges params, so a bad value is answered with
  // GW_ERR_PROTOCOL_INVALID_PARAMS on an open socket rather than treated as a broken frame.
  params: z.unknown().optional(),
});

export const ResponseOkFrameSchema = z.object({
  type: z.literal('res'),
  id: z.string(),
  ok: z.literal(true),
  payload: z.unknown().optional(),
});

export const ResponseErrorFrameSchema = z.object({
  type: z.literal('res'),
  id: z.string(),
  ok: z.literal(false),
  error: ErrorBodySchema,
});

export const ResponseFrameSchema = z.discriminatedUnion('ok', [
  ResponseOkFrameSchema,
  ResponseErrorFrameSchema,
]);

export const EventFrameSchema = z.object({
  type: z.literal('event'),
  event: z.string(),
  payload: z.unknown().optional(),
  seq: z.int().nonnegative(),
});

export const FrameSchema = z.union([RequestFrameSchema, ResponseFrameSchema, EventFrameSchema]);

export type RequestFrame = z.infer<typeof RequestFrameSchema>;
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>;
export type ResponseOkFrame = z.infer<typeof ResponseOkFrameSchema>;
export type ResponseErrorFrame = z.infer<typeof ResponseErrorFrameSchema>;
export type EventFrame = z.infer<typeof EventFrameSchema>;
export type Frame = z.infer<typeof FrameSchema>;

export type ParsedFrame = { ok: true; frame: Frame } | { ok: false; reason: string; id?: string };

/**
 * Parses one text frame. On failure it still tries to recover the request id, so the peer can be
 * told which request was rejected before the socket closes (PROTOCOL: "after an error frame if an id
 * can be read").
 */
export function parseFrame(text: string): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const res = FrameSchema.safeParse(raw);
  if (res.success) return { ok: true, frame: res.data };
  const id =
    raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id
      : undefined;
  const reason = 'frame has no valid type (req, res or event) or a malformed field';
  return id === undefined ? { ok: false, reason } : { ok: false, reason, id };
}
