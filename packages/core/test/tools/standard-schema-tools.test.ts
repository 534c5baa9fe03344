import type { StandardSchemaV1 } from '@standard-schema/spec';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { z as zod4 } from 'zod';
import { z as zod3 } from 'zod3';
import { z as zod4Copy } from 'zod3/v4';
import { Gateway, InvalidArgsError, ServiceUnavailableError, silentLogger, systemCaller, ToolRegistry, type JsonSchema } from '../../src/index.js';
import { zod3JsonSchema } from './support/zod3-json-schema.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function newGateway(): Gateway {
  const gateway = new Gateway({ logger: silentLogger });
  gateways.push(gateway);
  return gateway;
}

const caller = systemCaller('test');
const OBJECT: JsonSchema = { type: 'object' };

/** A Standard Schema written by hand, as a library this gateway has never heard of would give it. */
function handWritten(validate: StandardSchemaV1.Props['validate']): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'hand', validate } };
}

describe('tools whose args are any Standard Schema', () => {
  it('checks synchronously when the schema does: the result itself, never a Promise (no tick on the call path)', () => {
    const registry = new ToolRegistry();
    const schemas = {
      zod3: zod3.object({ n: zod3.number() }),
      zod4: zod4.object({ n: zod4.number() }),
      zod4Copy: zod4Copy.object({ n: zod4Copy.number() }),
      valibot: toStandardJsonSchema(v.object({ n: v.number() })),
    };
    for (const [name, args] of Object.entries(schemas)) {
      registry.register({ name, description: name, args, jsonSchema: OBJECT, run: () => 'ok' });
      const tool = registry.get(name);
      for (const value of [{ n: 1 }, { n: 'one' }, { n: { length: { toString: null } } }]) {
        const checked = tool?.checkArgs(value);
        expect(checked, `${name} on ${JSON.stringify(value)}`).not.toBeInstanceOf(Promise);
      }
      expect(tool?.checkArgs({ n: 1 })).toEqual({ ok: true, data: { n: 1 } });
      expect(tool?.checkArgs({ n: 'one' })).toMatchObject({ ok: false, issues: [{ path: 'n' }] });
    }
  });

  it('waits for a schema that checks asynchronously (zod 3 and 4, valibot): it fits, or 422 with its issues', async () => {
    const taken = new Set(['root', 'admin']);
    const free = async (name: string) => !taken.has(name);
    const gateway = newGateway()
      .registerTool({ name: 'zod3', description: 'z3', args: zod3.object({ user: zod3.string().refine(free, 'is taken') }), jsonSchema: OBJECT, run: ({ user }) => user })
      .registerTool({ name: 'zod4', description: 'z4', args: zod4.object({ user: zod4.string().refine(free, 'is taken') }), run: ({ user }) => user })
      .registerTool({
        name: 'valibot',
        description: 'v',
        args: v.objectAsync({ user: v.pipeAsync(v.string(), v.checkAsync(free, 'is taken')) }),
        jsonSchema: OBJECT,
        run: ({ user }) => user,
      });
    for (const tool of ['zod3', 'zod4', 'valibot']) {
      expect(gateway.tools.get(tool)?.checkArgs({ user: 'ann' })).toBeInstanceOf(Promise);
      await expect(gateway.callTool({ tool, args: { user: 'ann' } }, { caller })).resolves.toMatchObject({ status: 'executed', result: 'ann' });
      const refused = await gateway.callTool({ tool, args: { user: 'root' } }, { caller }).catch((error: unknown) => error);
      expect(refused, tool).toBeInstanceOf(InvalidArgsError);
      expect((refused as InvalidArgsError).issues).toEqual([{ path: 'user', message: 'is taken' }]);
      await expect(gateway.checkArgs(tool, { user: 'admin' })).resolves.toEqual([{ path: 'user', message: 'is taken' }]);
    }
  });

  it("reads a path of {key} segments as keys, and an empty issue list as a failure at the root", async () => {
    const gateway = newGateway()
      .registerTool({
        name: 'segments',
        description: 's',
        args: handWritten(() => ({ issues: [{ message: 'bad', path: [{ key: 'items' }, { key: 0 }, 'name'] }] })),
        jsonSchema: OBJECT,
        run: () => 'ran',
      })
      .registerTool({ name: 'empty', description: 'e', args: handWritten(() => ({ issues: [] })), jsonSchema: OBJECT, run: () => 'ran' });
    await expect(gateway.checkArgs('segments', {})).resolves.toEqual([{ path: 'items[0].name', message: 'bad' }]);
    await expect(gateway.checkArgs('empty', {})).resolves.toEqual([{ path: '(root)', message: 'does not match the schema' }]);
  });

  it('refuses (422) what a validator throws on, and passes on a GatewayError it throws on purpose (503)', async () => {
    const gateway = newGateway()
      .registerTool({ name: 'throws', description: 't', args: handWritten(() => { throw new TypeError('cannot read length'); }), jsonSchema: OBJECT, run: () => 'ran' })
      .registerTool({ name: 'rejects', description: 'r', args: handWritten(() => Promise.reject(new TypeError('no'))), jsonSchema: OBJECT, run: () => 'ran' })
      .registerTool({
        name: 'store.down',
        description: 'd',
        args: handWritten(async () => { throw new ServiceUnavailableError('state_unavailable', 'the user store does not answer'); }),
        jsonSchema: OBJECT,
        run: () => 'ran',
      })
      .registerTool({ name: 'zod4.copy', description: 'c', args: zod4Copy.object({ title: zod4Copy.string().max(5) }), run: () => 'ran' });
    for (const tool of ['throws', 'rejects']) {
      const refused = await gateway.callTool({ tool, args: {} }, { caller }).catch((error: unknown) => error);
      expect(refused, tool).toBeInstanceOf(InvalidArgsError);
      expect((refused as InvalidArgsError).issues?.[0]?.path).toBe('(root)');
    }
    await expect(gateway.callTool({ tool: 'store.down', args: {} }, { caller })).rejects.toMatchObject({ code: 'state_unavailable', status: 503 });
    // A value zod 4 throws on (its length cannot become a number), from another copy of zod 4 too.
    const uncomparable = await gateway.callTool({ tool: 'zod4.copy', args: { title: { length: { toString: null } } } }, { caller }).catch((error: unknown) => error);
    expect(uncomparable).toBeInstanceOf(InvalidArgsError);
    expect((uncomparable as InvalidArgsError).issues).toEqual([{ path: 'title', message: expect.stringMatching(/expected string/) }]);
  });
});

describe("a tool's published JSON Schema", () => {
  it('refuses a schema that cannot write its JSON Schema when none is given, saying how to give one', () => {
    const registry = new ToolRegistry();
    expect(() => registry.register({ name: 'z3', description: 'z3', args: zod3.object({}), run: () => 'ok' })).toThrow(
      /tool "z3": the args schema \(zod\) cannot write its own JSON Schema; give it as jsonSchema \(zod 3: `zodToJsonSchema\(schema\)`/,
    );
    expect(() => registry.register({ name: 'vb', description: 'vb', args: v.object({}), run: () => 'ok' })).toThrow(/toStandardJsonSchema/);
    expect(() => registry.register({ name: 'hand', description: 'h', args: handWritten(() => ({ value: 1 })), run: () => 'ok' })).toThrow(/\(hand\) cannot write/);
    const cannot = () => {
      throw new Error('a date has no JSON Schema');
    };
    const refusing = { '~standard': { version: 1 as const, vendor: 'hand', validate: () => ({ value: 1 }), jsonSchema: { input: cannot, output: cannot } } };
    expect(() => registry.register({ name: 'tx', description: 'tx', args: refusing, run: () => 'ok' })).toThrow(
      /the args schema could not be written as JSON Schema \(a date has no JSON Schema\); give it as jsonSchema/,
    );
    expect(() => registry.register({ name: 'arr', description: 'a', args: zod3.object({}), jsonSchema: [] as unknown as JsonSchema, run: () => 'ok' })).toThrow(
      /jsonSchema must be a JSON Schema object/,
    );
    expect(registry.size).toBe(0);
  });

  it('publishes a given jsonSchema as given, over what the schema would write, as a frozen copy', () => {
    const registry = new ToolRegistry();
    const given = { type: 'object', properties: { n: { type: 'integer', description: 'from the host' } } };
    registry.register({ name: 'n', description: 'n', args: zod4.object({ n: zod4.number() }), jsonSchema: given, run: () => 'ok' });
    given.properties.n.type = 'string';
    const listed = registry.get('n')?.listing.args_schema;
    expect(listed).toEqual({ type: 'object', properties: { n: { type: 'integer', description: 'from the host' } } });
    expect(Object.isFrozen(listed?.properties)).toBe(true);
  });

  it("writes a zod 3 schema's JSON Schema through zod-to-json-schema as the README shows, descriptions kept", () => {
    const registry = new ToolRegistry();
    const args = zod3.object({ city: zod3.string().describe('The city to look up') });
    registry.register({ name: 'weather', description: 'w', args, jsonSchema: zod3JsonSchema(args), run: () => 'ok' });
    expect(registry.get('weather')?.listing.args_schema).toMatchObject({ properties: { city: { type: 'string', description: 'The city to look up' } }, required: ['city'] });
  });

  it("publishes the result's schema from output (any library that writes one) or outputJsonSchema", () => {
    const registry = new ToolRegistry();
    const found = { type: 'object', properties: { found: { type: 'boolean' } }, required: ['found'] };
    registry.register({ name: 'vb', description: 'v', args: zod4.object({}), output: toStandardJsonSchema(v.object({ found: v.boolean() })), run: () => ({ found: true }) });
    registry.register({ name: 'z3', description: 'z', args: zod4.object({}), output: zod3.object({ found: zod3.boolean() }), outputJsonSchema: found, run: () => ({ found: true }) });
    registry.register({ name: 'given', description: 'g', args: zod4.object({}), outputJsonSchema: found, run: () => ({ found: true }) });
    registry.register({ name: 'json', description: 'j', inputSchema: OBJECT, outputJsonSchema: found, run: () => ({ found: true }) });
    for (const name of ['vb', 'z3', 'given', 'json']) {
      expect(registry.get(name)?.listing.result_schema, name).toMatchObject({ type: 'object', properties: { found: { type: 'boolean' } }, required: ['found'] });
    }
    expect(() => registry.register({ name: 'nothing', description: 'n', args: zod4.object({}), output: zod3.object({}), run: () => ({}) })).toThrow(
      /the output schema \(zod\) cannot write its own JSON Schema; give it as outputJsonSchema/,
    );
  });

  it("writes a zod 4 schema's descriptions when the copy can say them (Standard JSON Schema), and still its shape when it cannot", () => {
    const registry = new ToolRegistry();
    registry.register({ name: 'own', description: 'o', args: zod4.object({ city: zod4.string().describe('The city') }), run: () => 'ok' });
    registry.register({ name: 'copy', description: 'c', args: zod4Copy.object({ city: zod4Copy.string().describe('The city') }), run: () => 'ok' });
    expect(registry.get('own')?.listing.args_schema).toMatchObject({ properties: { city: { type: 'string', description: 'The city' } } });
    // zod 4.0's registry of descriptions is its own copy's, which core's converter cannot read.
    expect(registry.get('copy')?.listing.args_schema).toMatchObject({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
  });
});
