import { EventEmitter } from 'eventemitter3';
import type { Caller } from '../pipeline/caller.js';
import type { Logger } from '../logging/logger.js';

export interface ToolRegisteredEvent {
  readonly tool: string;
}

export interface ToolCallEvent {
  readonly callId: string;
  readonly tool: string;
  readonly caller: Caller;
  readonly durationMs: number;
}

export interface ToolCallFailedEvent extends ToolCallEvent {
  /** The stable error code the caller got (`invalid_args`, `tool_failed`, ...). */
  readonly code: string;
  readonly status: number;
}

/** Every event `gateway.events` emits, with its payload. */
export interface GatewayEventMap {
  'tool.registered': [event: ToolRegisteredEvent];
  'tool.succeeded': [event: ToolCallEvent];
  'tool.failed': [event: ToolCallFailedEvent];
  'gateway.closed': [];
}

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

  emitSafely<E extends GatewayEventName>(event: E, ...args: EventEmitter.EventArgs<GatewayEventMap, E>): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.#logger.error('gateway event listener threw', { event, error });
    }
  }
}
