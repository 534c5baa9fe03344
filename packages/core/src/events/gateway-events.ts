import { EventEmitter } from 'eventemitter3';
import type { Caller } from '../pipeline/caller.js';
import type { Logger } from '../logging/logger.js';

/** Payload of `tool.registered` (and `tool.unregistered`). */
export interface ToolRegisteredEvent {
  readonly tool: string;
}

/** Payload of `tool.succeeded`. */
export interface ToolCallEvent {
  readonly callId: string;
  readonly tool: string;
  readonly caller: Caller;
  readonly durationMs: number;
}

/** Payload of `tool.failed`: the call and the error the caller got. */
export interface ToolCallFailedEvent extends ToolCallEvent {
  /** The stable error code the caller got (`invalid_args`, `tool_failed`, ...). */
  readonly code: string;
  readonly status: number;
}

/** Payload of `auth.login`. */
export interface LoginEvent {
  readonly username: string;
  readonly address: string;
  readonly tokenId: string;
}

/** Payload of `auth.login_failed`. */
export interface LoginFailedEvent {
  readonly username: string;
  readonly address: string;
  readonly reason: 'invalid_credentials' | 'throttled';
}

/** Payload of `auth.refreshed`. */
export interface RefreshedEvent {
  readonly username: string;
  readonly tokenId: string;
  readonly previousTokenId: string;
}

/** Payload of `auth.refresh_reused`: a retired refresh token came back, and its session was revoked. */
export interface RefreshReusedEvent {
  readonly username: string;
  /** The refresh token presented a second time; its whole session is now revoked. */
  readonly tokenId: string;
}

/** Payload of `auth.token_revoked`. */
export interface TokenRevokedEvent {
  readonly by: Caller;
  /** `*` when every token was revoked. */
  readonly tokenId: string;
  readonly scope: 'token' | 'session' | 'all';
}

/** Payload of `auth.user_created` (a user created or replaced). */
export interface UserCreatedEvent {
  readonly by: Caller;
  readonly username: string;
  readonly role: string;
  /** `false` when an existing user's password, role or allow-list was replaced. */
  readonly created: boolean;
}

/** Payload of `auth.user_deleted`. */
export interface UserDeletedEvent {
  readonly by: Caller;
  readonly username: string;
}

/** Every event `gateway.events` emits, with its payload. None carries a password or a token. */
export interface GatewayEventMap {
  'tool.registered': [event: ToolRegisteredEvent];
  /** A tool left the registry (its MCP upstream stopped listing it). */
  'tool.unregistered': [event: ToolRegisteredEvent];
  'tool.succeeded': [event: ToolCallEvent];
  'tool.failed': [event: ToolCallFailedEvent];
  'auth.login': [event: LoginEvent];
  'auth.login_failed': [event: LoginFailedEvent];
  'auth.refreshed': [event: RefreshedEvent];
  'auth.refresh_reused': [event: RefreshReusedEvent];
  'auth.token_revoked': [event: TokenRevokedEvent];
  'auth.user_created': [event: UserCreatedEvent];
  'auth.user_deleted': [event: UserDeletedEvent];
  'gateway.closed': [];
}

/** The name of an event of `gateway.events`. */
export type GatewayEventName = keyof GatewayEventMap;

/**
 * The gateway's typed event emitter. Listeners run synchronously in the emitting call, so a
 * listener that throws must not break that call: the gateway emits through `emitSafely`.
 */
export class GatewayEvents extends EventEmitter<GatewayEventMap> {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    super();
    this.#logger = logger;
  }

  /** Emits an event; a listener that throws is logged and never affects the caller. */
  emitSafely<E extends GatewayEventName>(event: E, ...args: EventEmitter.EventArgs<GatewayEventMap, E>): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.#logger.error('gateway event listener threw', { event, error });
    }
  }
}
