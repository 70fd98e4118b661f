/** @module Sessions: per-session event sequence numbers and the replay buffer used by `resume`. */
import { randomUUID } from 'node:crypto';
import type { EventFrame } from '../protocol/index.js';

export interface SessionSink {
  send(frame: EventFrame): void;
}

export class Session {
  readonly id: string;
  /** Who owns the session; a resume is honoured only for the same principal. */
  readonly owner: string;
  private seq = 0;
  private readonly buffer: EventFrame[] = [];
  sink: SessionSink | null = null;
  expiry: NodeJS.Timeout | null = null;

  constructor(
    owner: string,
    private readonly capacity: number,
  ) {
    this.id = randomUUID();
    this.owner = owner;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Assigns the next seq, buffers the event for replay and delivers it if a connection is attached. */
  emit(event: string, payload?: unknown): EventFrame {
    const frame: EventFrame = { type: 'event', event, seq: ++this.seq };
    if (payload !== undefined) frame.payload = payload;
    if (this.capacity > 0) {
      this.buffer.push(frame);
      if (this.buffer.length > this.capacity) this.buffer.shift();
    }
    this.sink?.send(frame);
    return frame;
  }

  /**
   * Events after `lastSeq`, or null when some of them have already left the buffer (then the client
   * must refetch state; replaying a gap silently would be worse than saying so).
   */
  eventsAfter(lastSeq: number): EventFrame[] | null {
    if (lastSeq > this.seq) return null;
    if (lastSeq === this.seq) return [];
    const first = this.buffer[0];
    if (!first || first.seq > lastSeq + 1) return null;
    return this.buffer.filter((f) => f.seq > lastSeq);
  }
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly expiryListeners: Array<(s: Session) => void> = [];
  constructor(private readonly opts: { replayBuffer: number; ttlMs: number }) {}

  create(owner: string): Session {
    const s = new Session(owner, this.opts.replayBuffer);
    this.sessions.set(s.id, s);
    return s;
  }

  /** Takes over a detached session for a reconnecting client of the same owner. */
  resume(id: string, owner: string): Session | null {
    const s = this.sessions.get(id);
    if (!s || s.owner !== owner) return null;
    if (s.expiry) clearTimeout(s.expiry);
    s.expiry = null;
    return s;
  }

  /**
   * Keeps a session resumable for the TTL after its connection drops. With `sink`, only if the session
   * still delivers to it: a client may resume on a new socket before the old half-open one is noticed
   * closed, and that late close must not cut off (and expire) the session it no longer holds.
   */
  detach(s: Session, sink?: SessionSink): void {
    if (sink !== undefined && s.sink !== sink) return;
    s.sink = null;
    if (s.expiry) clearTimeout(s.expiry);
    s.expiry = setTimeout(() => {
      this.sessions.delete(s.id);
      for (const l of this.expiryListeners) l(s);
    }, this.opts.ttlMs);
    s.expiry.unref();
  }

  /** Called when a detached session can no longer be resumed (subscriptions can be dropped then). */
  onExpire(listener: (s: Session) => void): void {
    this.expiryListeners.push(listener);
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) if (s.expiry) clearTimeout(s.expiry);
    this.sessions.clear();
  }
}
