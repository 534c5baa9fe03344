import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z as zod4 } from 'zod';
import { z as zod3 } from 'zod3';
import { defineTool, Gateway, silentLogger, ToolRegistry, type ApprovalPolicy, type GatewayServices, type ToolDefinition } from '../../src/index.js';
import { zod3JsonSchema } from './support/zod3-json-schema.js';

// What these tests prove is that this file typechecks (`npm run typecheck` covers test files): a
// host's schemas from zod 3, zod 4 or valibot type a tool's args through core's public types alone.
// The runtime assertions are `expectTypeOf`'s, which do nothing when run.

describe("core's public tool types with a host's schema library", () => {
  it("types a zod 3 tool's run and requiresApproval by the schema's output (defaults applied)", () => {
    const args = zod3.object({ city: zod3.string(), days: zod3.number().int().default(3) });
    const tool = defineTool({
      name: 'weather',
      description: 'The forecast',
      args,
      jsonSchema: zod3JsonSchema(args),
      requiresApproval: (parsed) => parsed.days > 7,
      run: (parsed) => {
        expectTypeOf(parsed).toEqualTypeOf<{ city: string; days: number }>();
        return `${parsed.city}: sunny for ${parsed.days} days`;
      },
    });
    expectTypeOf(tool).toEqualTypeOf<ToolDefinition<typeof args, string>>();
    expectTypeOf(tool.requiresApproval).toEqualTypeOf<ApprovalPolicy<{ city: string; days: number }> | undefined>();
    // A gateway, its registry and a plugin's services all take it as it is.
    const gateway = new Gateway({ logger: silentLogger }).registerTool(tool);
    expectTypeOf(gateway).toEqualTypeOf<Gateway>();
    new ToolRegistry().register(tool);
    const fromPlugin = (services: GatewayServices) => services.registerTool(tool);
    expectTypeOf(fromPlugin).toBeFunction();
    void gateway.close();
  });

  it('types zod 4 and valibot tools the same way', () => {
    defineTool({
      name: 'zod4',
      description: 'z',
      args: zod4.object({ tags: zod4.array(zod4.string()).default([]) }),
      run: (parsed) => expectTypeOf(parsed).toEqualTypeOf<{ tags: string[] }>(),
    });
    defineTool({
      name: 'valibot',
      description: 'v',
      args: toStandardJsonSchema(v.object({ id: v.string(), limit: v.optional(v.number(), 10) })),
      output: toStandardJsonSchema(v.object({ found: v.boolean() })),
      run: (parsed) => {
        expectTypeOf(parsed).toEqualTypeOf<{ id: string; limit: number }>();
        return { found: parsed.id.length <= parsed.limit };
      },
    });
  });
});
