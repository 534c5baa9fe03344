import { connect } from 'node:net';

/**
 * Just enough of the Redis protocol for a smoke test to ask whether Redis answers and to delete its
 * keys afterwards, without the examples depending on a Redis client of their own.
 */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Sends one command whose reply is a single line (+OK, :1, -ERR) and returns that line. */
export function redisCommand(args: readonly string[], url = REDIS_URL, timeoutMs = 1000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveReply, reject) => {
    const socket = connect({ host: hostname === '' ? '127.0.0.1' : hostname, port: Number(port === '' ? 6379 : port) });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.end();
        const line = reply.slice(0, end);
        if (line.startsWith('-')) reject(new Error(line.slice(1)));
        else resolveReply(line);
      }
    });
    socket.on('error', reject);
  });
}

/** Whether the real Redis the suite needs answers; when not, the suite skips and prints why. */
export async function redisReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const pong = await redisCommand(['PING']);
    if (pong === '+PONG') return { ok: true };
    return { ok: false, reason: `Redis at ${REDIS_URL} answered ${pong}` };
  } catch (error) {
    return { ok: false, reason: `no Redis at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)}); start one with redis-server` };
  }
}

/** Deletes every key under `prefix` (one script, so the reply is a single count). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do n = n + redis.call('DEL', k) end return n";
  await redisCommand(['EVAL', script, '0', `${prefix}*`]);
}
