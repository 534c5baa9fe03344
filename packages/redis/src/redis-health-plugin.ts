import { definePlugin, defineRoute, jsonResponse, type GatewayPlugin } from '@agent-gateway/core/http';
import { Gauge } from 'prom-client';
import type { RedisState } from './redis-state.js';

/** Options of `redisHealthPlugin(state, options)`. */
export interface RedisHealthPluginOptions {
  /** Close the Redis connection when the gateway closes (the plugin owns it). Default false. */
  readonly closeState?: boolean;
}

/** Up means Redis answers now, not only that a socket is open: a PING, bounded by the command timeout. */
async function answers(state: RedisState): Promise<boolean> {
  if (!state.up) return false;
  try {
    return (await state.run((client) => client.ping())) === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Readiness for a gateway whose state is in Redis: `GET /health/ready` answers 200 `{ ready: true,
 * stores: { redis: 'up' } }`, or 503 with `redis: 'down'` while Redis cannot be reached (a load
 * balancer then sends calls elsewhere; `/health` stays the liveness probe: the process itself is
 * fine and serves again once Redis is back). The gauge `state_store_up{store="redis"}` says the same
 * on `/metrics`.
 */
export function redisHealthPlugin(state: RedisState, options: RedisHealthPluginOptions = {}): GatewayPlugin {
  return definePlugin({
    name: 'redis-health',
    routes: [
      defineRoute({
        method: 'GET',
        path: '/health/ready',
        summary: 'Readiness: whether each shared state store (Redis) can be reached; 503 when one cannot',
        auth: 'none',
        async handle() {
          const up = await answers(state);
          return jsonResponse(up ? 200 : 503, { ready: up, stores: { redis: up ? 'up' : 'down' } });
        },
      }),
    ],
    onInit(services) {
      new Gauge({
        name: 'state_store_up',
        help: '1 while the shared state store can be reached, 0 while it cannot (calls that need it fail closed with 503)',
        labelNames: ['store'],
        registers: [services.metrics.registry],
        // The same PING as readiness, not only the socket's state: a connection whose peer stopped
        // answering (a network partition, no RST) stays "ready" while every command times out.
        async collect() {
          this.set({ store: 'redis' }, (await answers(state)) ? 1 : 0);
        },
      });
    },
    async close() {
      if (options.closeState === true) await state.close();
    },
  });
}
