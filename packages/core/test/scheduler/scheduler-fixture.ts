import { z } from 'zod';
import { Gateway, silentLogger, systemCaller, type GatewayOptions } from '../../src/index.js';
import { isEventStream } from '../../src/http/public.js';

const system = { actor: systemCaller('test') };

/** A gateway with an admin, an agent `bot` allowed `count`, `login` and `odd`, and the first two tools. */
export async function schedulerGateway(options: GatewayOptions = {}): Promise<{ gateway: Gateway; runs: unknown[]; adminToken: string }> {
  const runs: unknown[] = [];
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 4, r: 1, p: 1 } }, ...options });
  await gateway.auth.createUser({ username: 'root', password: 'root-password', role: 'admin' }, system);
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent', tools: ['count', 'login', 'odd'] }, system);
  await gateway.auth.createUser({ username: 'other', password: 'other-password', role: 'agent', tools: ['nothing.*'] }, system);
  gateway
    .registerTool({ name: 'count', description: 'records each run', args: z.object({ n: z.number().int() }).strict(), run: ({ n }) => (runs.push(n), n) })
    .registerTool({
      name: 'login',
      description: 'pretends to log in somewhere',
      args: z.object({ user: z.string(), password: z.string().optional(), token: z.string().optional() }).strict(),
      run: ({ user }) => ({ user, session: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl' }),
    });
  const adminToken = (await gateway.auth.login('root', 'root-password', { address: 'test' })).accessToken;
  return { gateway, runs, adminToken };
}

export interface JsonReply {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/** One request through `gateway.handle`, no socket: it works under fake timers. */
export async function request(gateway: Gateway, method: string, url: string, token: string, body?: unknown): Promise<JsonReply> {
  const response = await gateway.handle({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? { kind: 'none' } : { kind: 'parsed', value: body },
  });
  if (response === undefined || isEventStream(response)) throw new Error(`${method} ${url}: expected a JSON response`);
  return { status: response.status, json: JSON.parse(response.body) as unknown, text: response.body };
}

/** Every `*_at` field in a JSON value, with its path. */
export function datesIn(value: unknown, path = ''): Array<[string, unknown]> {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(key.endsWith('_at') ? [[`${path}.${key}`, child] as [string, unknown]] : []),
    ...datesIn(child, `${path}.${key}`),
  ]);
}
