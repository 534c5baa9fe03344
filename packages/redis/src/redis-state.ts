import { GatewayError } from '@agent-gateway/core';
import { Redis, type RedisOptions } from 'ioredis';

/** Options of `new RedisState(options)`: where Redis is, the key prefix, and the command timeout. */
export interface RedisStateOptions {
  /** `redis://host:port/db` (or `rediss://` for TLS); default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * Every key starts with this (default `agent-gateway:`): several gateways, or a test run, share a
   * server without meeting. Keys that must sit together in Redis Cluster carry a `{hash tag}` after it.
   */
  readonly keyPrefix?: string;
  /** A command that takes longer fails (and the decision waiting on it fails closed). Default 2000 ms. */
  readonly commandTimeoutMs?: number;
  /** Passed to ioredis as they are, after the options above. */
  readonly redis?: RedisOptions;
}

/** 503: the shared state cannot be read or written now; a security decision that needs it is refused. */
export function stateUnavailable(cause: unknown): GatewayError {
  return new GatewayError('state_unavailable', 'the shared state store cannot be reached; try again shortly', {
    cause,
    headers: { 'retry-after': '1' },
  });
}

/**
 * One connection to Redis shared by every store of a gateway, plus the key prefix. Commands do not
 * wait in an offline queue while Redis is down: they fail at once, so callers fail closed instead of
 * hanging, and ioredis reconnects by itself in the background.
 */
export class RedisState {
  readonly client: Redis;
  readonly prefix: string;

  constructor(options: RedisStateOptions = {}) {
    this.prefix = options.keyPrefix ?? 'agent-gateway:';
    this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      commandTimeout: options.commandTimeoutMs ?? 2000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Reconnect forever, backing off to 2 s: the gateway serves again without a restart.
      retryStrategy: (times) => Math.min(times * 100, 2000),
      lazyConnect: true,
      ...options.redis,
    });
    // Without a listener an unreachable server would throw from an event emitter; the state is reported by `up`.
    this.client.on('error', () => undefined);
  }

  /** Connects (waits for the first connection; rejects if Redis cannot be reached). */
  async connect(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
  }

  /** Whether commands can be sent now (for readiness and the `state_store_up` gauge). */
  get up(): boolean {
    return this.client.status === 'ready';
  }

  /** The key of these parts under the prefix: `key('revoked', jti)` is `<prefix>revoked:<jti>`. */
  key(...parts: readonly string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /** Runs a Redis operation; any failure of Redis itself becomes 503 `state_unavailable`. */
  async run<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return await operation(this.client);
    } catch (error) {
      throw stateUnavailable(error);
    }
  }

  /** Closes the connection (after the gateway's `close()`, which still uses it). */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
