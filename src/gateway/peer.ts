/** @module What the gateway's services see of a connected peer, whether over WebSocket or in-process. */
import type { NodeDeclaration, Role } from '../protocol/index.js';
import type { Session } from './session-registry.js';

export interface Peer {
  readonly id: string;
  readonly role: Role | null;
  readonly principal: string;
  readonly session: Session | null;
  /** The declaration of a node peer; null for other roles. */
  readonly node: NodeDeclaration | null;
  /** `client.name` of the connect frame (e.g. openclaw-cli); an in-process peer names itself. */
  readonly clientName: string;
  readonly connectedAt: Date;
  readonly remoteAddress: string;
  readonly isOpen: boolean;
  /** A part of the gateway process itself (the built-in local node), not a socket peer. */
  readonly inProcess: boolean;
  /** Sends an event on the peer's session. */
  emit(event: string, payload?: unknown): void;
  close(code: number, reason: string): void;
}
