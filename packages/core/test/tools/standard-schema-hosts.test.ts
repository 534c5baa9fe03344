import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z as zod4 } from 'zod';
import { z as zod3 } from 'zod3';
// zod 3.25 carries a zod 4 of its own at `zod/v4`: a second copy of zod 4, as a host with its own install has.
import { z as zod4Copy } from 'zod3/v4';
import { listenOnLoopback, type RunningServer } from '@agent-gateway/conformance';
import { Gateway, silentLogger, systemCaller, type ToolDefinition } from '../../src/index.js';
import { zod3JsonSchema } from './support/zod3-json-schema.js';

/** Looks like an OpenAI key, so the issue that quotes it must come back scrubbed. */
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';

const zod3Args = zod3.object({ title: zod3.string().min(1), tags: zod3.array(zod3.object({ name: zod3.string() })).default([]), code: zod3.literal('ok').optional() });

/**
 * One tool per schema library, alike: a title (at least one character), tags of `{name}` defaulting
 * to none, and an optional code that must be "ok". Each run returns its args, so the answer shows
 * what the schema made of them (the default filled in).
 */
const HOSTS: ReadonlyArray<{ readonly host: string; readonly tool: ToolDefinition }> = [
  {
    host: 'zod 3 (JSON Schema given, from zod-to-json-schema)',
    tool: { name: 'notes.add', description: 'adds a note', args: zod3Args, jsonSchema: zod3JsonSchema(zod3Args), run: (parsed) => parsed },
  },
  {
    host: "zod 4 (core's own copy)",
    tool: {
      name: 'notes.add',
      description: 'adds a note',
      args: zod4.object({ title: zod4.string().min(1), tags: zod4.array(zod4.object({ name: zod4.string() })).default([]), code: zod4.literal('ok').optional() }),
      run: (parsed) => parsed,
    },
  },
  {
    host: 'zod 4 (another copy, without Standard JSON Schema)',
    tool: {
      name: 'notes.add',
      description: 'adds a note',
      args: zod4Copy.object({ title: zod4Copy.string().min(1), tags: zod4Copy.array(zod4Copy.object({ name: zod4Copy.string() })).default([]), code: zod4Copy.literal('ok').optional() }),
      run: (parsed) => parsed,
    },
  },
  {
    host: 'valibot (toStandardJsonSchema)',
    tool: {
      name: 'notes.add',
      description: 'adds a note',
      args: toStandardJsonSchema(
        v.object({ title: v.pipe(v.string(), v.minLength(1)), tags: v.optional(v.array(v.object({ name: v.string() })), []), code: v.optional(v.literal('ok')) }),
      ),
      run: (parsed) => parsed,
    },
  },
];

interface Served {
  readonly gateway: Gateway;
  readonly server: RunningServer;
  readonly token: string;
}

async function serve(tool: ToolDefinition): Promise<Served> {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateway.registerTool(tool);
  await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
  const { accessToken } = await gateway.auth.login('agent', 'agent-password', { address: 'test' });
  return { gateway, server: await listenOnLoopback(gateway.nodeListener()), token: accessToken };
}

async function send(served: Served, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`${served.server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${served.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

describe.each(HOSTS)('a host whose tool schema is $host, over HTTP', ({ tool }) => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(tool);
  });
  afterAll(async () => {
    await served?.server.close();
    await served?.gateway.close();
  });

  it('runs a call whose args fit, with what the schema made of them (defaults filled in)', async () => {
    const answer = await send(served, 'POST', '/tools/call', { tool: 'notes.add', args: { title: 'hello' } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.result).toEqual({ title: 'hello', tags: [] });
  });

  it('refuses args that do not fit with 422 invalid_args, each issue with its path, a quoted secret scrubbed', async () => {
    const answer = await send(served, 'POST', '/tools/call', { tool: 'notes.add', args: { title: '', tags: [{ name: 7 }], code: SECRET } });
    expect(answer.status, answer.text).toBe(422);
    const error = answer.body.error as { code: string; issues: { path: string; message: string }[] };
    expect(error.code).toBe('invalid_args');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['code', 'tags[0].name', 'title']);
    for (const issue of error.issues) expect(Object.keys(issue).sort()).toEqual(['message', 'path']);
    expect(answer.text).not.toContain(SECRET);
  });

  it('answers POST /validate with the same issues, without running the tool', async () => {
    const answer = await send(served, 'POST', '/validate', { tool: 'notes.add', args: { tags: 'none' } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ valid: false, tool: 'notes.add' });
    expect((answer.body.issues as { path: string }[]).map((issue) => issue.path).sort()).toEqual(['tags', 'title']);
    expect((await send(served, 'POST', '/validate', { tool: 'notes.add', args: { title: 't' } })).body).toEqual({ valid: true, tool: 'notes.add' });
  });

  it("lists the args' JSON Schema on GET /tools and in the OpenAPI document", async () => {
    const listed = await send(served, 'GET', '/tools');
    const [entry] = listed.body.tools as { name: string; args_schema: Record<string, unknown> }[];
    expect(entry?.name).toBe('notes.add');
    expect(entry?.args_schema).toMatchObject({
      type: 'object',
      properties: { title: { type: 'string', minLength: 1 }, tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } }, code: { const: 'ok' } },
      required: ['title'],
    });
    const openapi = await send(served, 'GET', '/openapi.json');
    const schemas = (openapi.body.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['ToolArgs_notes.add']).toMatchObject({ type: 'object', properties: { title: { type: 'string' } }, required: ['title'] });
    expect(schemas['ToolArgs_notes.add']).not.toHaveProperty('$schema');
  });
});
