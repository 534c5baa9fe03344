import { z } from 'zod';
import { Gateway, silentLogger, ToolError } from '../../src/index.js';

/** Small enough that the 413 cases need only a few KiB. */
export const CONFORMANCE_BODY_LIMIT = 4096;

/** What the suite's tools saw, so a test can prove a refused call never ran. */
export interface ToolProbe {
  approvalToolRuns: number;
}

/** The gateway every adapter is tested with: the same tools, the same limits. */
export function createConformanceGateway(): { gateway: Gateway; probe: ToolProbe } {
  const probe: ToolProbe = { approvalToolRuns: 0 };
  const gateway = new Gateway({ bodyLimitBytes: CONFORMANCE_BODY_LIMIT, logger: silentLogger });
  gateway
    .registerTool({
      name: 'echo',
      description: 'Returns its text',
      args: z.object({ text: z.string() }).strict(),
      run: ({ text }) => ({ text }),
    })
    .registerTool({
      name: 'math.add',
      description: 'Adds two numbers',
      args: z.object({ a: z.number(), b: z.number().default(0) }),
      run: ({ a, b }) => ({ sum: a + b }),
    })
    .registerTool({
      name: 'record.keys',
      description: 'Returns the keys of a free-form object and what its prototype looks like',
      args: z.object({ data: z.record(z.string(), z.unknown()) }),
      run: ({ data }) => ({ keys: Object.keys(data), pollutedPrototype: Object.getPrototypeOf(data) !== Object.prototype }),
    })
    .registerTool({
      name: 'fail.plain',
      description: 'Throws an error whose message must never reach the client',
      args: z.object({}),
      run: () => {
        throw new Error('db password is hunter2');
      },
    })
    .registerTool({
      name: 'fail.tool',
      description: 'Throws a ToolError meant for the caller',
      args: z.object({}),
      run: () => {
        throw new ToolError('quota reached', { code: 'quota_reached', status: 429 });
      },
    })
    .registerTool({
      name: 'risky',
      description: 'Needs approval',
      args: z.object({}),
      requiresApproval: true,
      run: () => {
        probe.approvalToolRuns += 1;
        return { ran: true };
      },
    });
  return { gateway, probe };
}
