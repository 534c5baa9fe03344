// One gateway-on-Fastify process for bench/redis.ts, with the embedded stores or the Redis ones.
//   tsx bench/redis-servers.ts <embedded|redis> <username> <audit dir>
// Environment: BENCH_JWT_SECRET (every process of a deployment signs and accepts the same tokens);
// for `redis`, REDIS_URL and REDIS_KEY_PREFIX, read by configFromEnv as the example servers read them.
// Prints one JSON line {port, token} once listening; exits when its stdin ends (the bench is gone).
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Fastify from 'fastify';
import { z } from 'zod';
import { AuditLog, configFromEnv, Gateway, systemCaller, type GatewayOptions, type RateLimitOptions } from '@agent-gateway/core';
import { gatewayPlugin } from '@agent-gateway/fastify';
import { redisStoresFromConfig } from '@agent-gateway/redis';

const [kind, username, dir] = process.argv.slice(2);
if ((kind !== 'embedded' && kind !== 'redis') || username === undefined || dir === undefined) {
  throw new Error('usage: redis-servers.ts <embedded|redis> <username> <audit dir>');
}
const secret = process.env.BENCH_JWT_SECRET ?? '';

createInterface({ input: process.stdin }).once('close', () => process.exit(0));

const logger: NonNullable<GatewayOptions['logger']> = {
  info() {},
  warn: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f ?? {})}\n`),
  error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f ?? {})}\n`),
};

// Rate limits on, far above what the machine can send, so every call takes a token from the global
// and the per-token bucket (in memory, or the Redis Lua bucket) and none is refused.
const NEVER_REFUSED = 100_000_000;
const limits: RateLimitOptions = { global: { perMinute: NEVER_REFUSED }, perToken: { agent: { perMinute: NEVER_REFUSED } } };

// Exactly what the example servers get when REDIS_URL is set: revocations, login throttle, rate
// limits, approvals and their feed, users, kill switch, rules and scheduled tasks, all in Redis.
const redis = kind === 'redis' ? await redisStoresFromConfig(configFromEnv({ ...process.env, AGENT_GATEWAY_ADMIN_PASS: 'unused-by-the-bench' }), { logger }) : undefined;
if (kind === 'redis' && redis === undefined) throw new Error('REDIS_URL is not set');

// As bench/servers.ts: auth, validation, durable audit (group commit) and metrics.
const gateway = new Gateway({
  ...redis,
  audit: await AuditLog.open(join(dir, 'audit.log')),
  rateLimits: { ...limits, ...redis?.rateLimits },
  auth: {
    passwordHashing: { logN: 10, r: 8, p: 1 },
    accessTtlSeconds: 3600,
    ...(secret === '' ? {} : { signingKey: { algorithm: 'HS256' as const, secret } }),
    ...redis?.auth,
  },
  logger,
});
gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
await gateway.auth.createUser({ username, password: 'bench-password', role: 'agent' }, { actor: systemCaller('bench') });
const { accessToken } = await gateway.auth.login(username, 'bench-password', { address: 'bench' });

const app = Fastify();
await app.register(gatewayPlugin, { gateway });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port, token: accessToken })}\n`);
