import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  Gateway,
  InvalidArgsError,
  silentLogger,
  systemCaller,
  ToolFailedError,
  ToolNotFoundError,
  type Logger,
  type ToolCallEvent,
  type ToolCallFailedEvent,
} from '../src/index.js';

function newGateway(logger: Logger = silentLogger): Gateway {
  return new Gateway({ logger }).registerTool({
    name: 'echo',
    description: 'echo',
    args: z.object({ text: z.string() }),
    run: ({ text }, { caller }) => ({ text, caller: caller.id }),
  });
}

async function metricValue(gateway: Gateway, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await gateway.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('Gateway.callTool (in-process)', () => {
  it('runs a tool with its parsed args and the caller', async () => {
    const gateway = newGateway();
    const outcome = await gateway.callTool({ tool: 'echo', args: { text: 'hi' } }, { caller: systemCaller('test') });
    expect(outcome).toMatchObject({ tool: 'echo', result: { text: 'hi', caller: 'test' } });
    expect(outcome.callId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an unknown tool with ToolNotFoundError (404) and counts nothing', async () => {
    const gateway = newGateway();
    await expect(gateway.callTool({ tool: 'nope', args: {} })).rejects.toBeInstanceOf(ToolNotFoundError);
    expect((await gateway.metrics.registry.getSingleMetric('tool_calls_total')?.get())?.values).toEqual([]);
  });

  it('refuses bad args with InvalidArgsError (422), counting the attempt and the validation error', async () => {
    const gateway = newGateway();
    const error = await gateway.callTool({ tool: 'echo', args: { text: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgsError);
    expect((error as InvalidArgsError).status).toBe(422);
    expect((error as InvalidArgsError).issues).toEqual([{ path: 'text', message: 'Invalid input: expected string, received number' }]);
    expect(await metricValue(gateway, 'tool_calls_total', { tool: 'echo' })).toBe(1);
    expect(await metricValue(gateway, 'tool_validation_errors_total', { tool: 'echo' })).toBe(1);
  });

  it('hides a plain error thrown by a tool behind tool_failed and logs it', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { ...silentLogger, error: (message, fields) => logged.push({ message, fields }) };
    const gateway = new Gateway({ logger }).registerTool({
      name: 'broken',
      description: 'throws',
      args: z.object({}),
      run: () => {
        throw new Error('connection string with password');
      },
    });
    const error = await gateway.callTool({ tool: 'broken', args: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as ToolFailedError).message).toBe('tool "broken" failed');
    expect(JSON.stringify((error as ToolFailedError).toJSON())).not.toContain('password');
    expect(logged).toHaveLength(1);
  });

  it('decides approval per call with a policy function: risky calls are held, not run', async () => {
    const runs: string[] = [];
    const gateway = new Gateway({ logger: silentLogger }).registerTool({
      name: 'file.delete',
      description: 'delete',
      args: z.object({ path: z.string() }),
      requiresApproval: (args) => !args.path.startsWith('tmp/'),
      run: ({ path }) => {
        runs.push(path);
        return { deleted: path };
      },
    });
    await expect(gateway.callTool({ tool: 'file.delete', args: { path: 'tmp/a' } })).resolves.toMatchObject({
      status: 'executed',
      result: { deleted: 'tmp/a' },
    });
    const held = await gateway.callTool({ tool: 'file.delete', args: { path: 'etc/passwd' } });
    expect(held).toMatchObject({ status: 'pending', approvalId: expect.any(String) });
    expect(runs).toEqual(['tmp/a']);
    expect(gateway.tools.list()[0]?.requires_approval).toBe('per_call');
    expect(await metricValue(gateway, 'approvals_queued_total')).toBe(1);
  });

  it('emits typed events, and a throwing listener does not break the call', async () => {
    const gateway = newGateway();
    const succeeded: ToolCallEvent[] = [];
    const failed: ToolCallFailedEvent[] = [];
    gateway.events.on('tool.succeeded', (event) => succeeded.push(event));
    gateway.events.on('tool.failed', (event) => failed.push(event));
    gateway.events.on('tool.succeeded', () => {
      throw new Error('listener bug');
    });
    await gateway.callTool({ tool: 'echo', args: { text: 'a' } });
    await gateway.callTool({ tool: 'echo', args: {} }).catch(() => undefined);
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]).toMatchObject({ tool: 'echo', caller: { kind: 'anonymous' } });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ tool: 'echo', code: 'invalid_args', status: 422 });
  });

  it('keeps the metrics of two gateways in one process apart', async () => {
    const a = newGateway();
    const b = newGateway();
    await a.callTool({ tool: 'echo', args: { text: '1' } });
    await a.callTool({ tool: 'echo', args: { text: '2' } });
    await b.callTool({ tool: 'echo', args: { text: '3' } });
    expect(await metricValue(a, 'tool_calls_total', { tool: 'echo' })).toBe(2);
    expect(await metricValue(b, 'tool_calls_total', { tool: 'echo' })).toBe(1);
  });

  it('close() aborts running calls through their signal, waits for them, then refuses new calls', async () => {
    const gateway = new Gateway({ logger: silentLogger });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    gateway.registerTool({
      name: 'slow',
      description: 'waits for abort',
      args: z.object({}),
      run: (_args, { signal }) =>
        new Promise((resolve) => {
          started();
          signal.addEventListener('abort', () => resolve({ aborted: true }), { once: true });
        }),
    });
    const call = gateway.callTool({ tool: 'slow', args: {} });
    await running;
    const closed = vi.fn();
    gateway.events.on('gateway.closed', closed);
    await gateway.close();
    await expect(call).resolves.toMatchObject({ result: { aborted: true } });
    expect(closed).toHaveBeenCalledOnce();
    await expect(gateway.callTool({ tool: 'slow', args: {} })).rejects.toMatchObject({ status: 503, code: 'gateway_closed' });
  });
});

describe('Gateway.registerTool', () => {
  const args = z.object({});
  const run = () => null;

  it.each(['', '1abc', 'has space', 'a..b', 'a.', '.a', 'x'.repeat(129)])('refuses the name %j', (name) => {
    expect(() => new Gateway({ logger: silentLogger }).registerTool({ name, description: '', args, run })).toThrow(/invalid tool name/);
  });

  it('refuses a second tool with the same name', () => {
    const gateway = new Gateway({ logger: silentLogger }).registerTool({ name: 'a.b', description: '', args, run });
    expect(() => gateway.registerTool({ name: 'a.b', description: '', args, run })).toThrow(/already registered/);
  });

  it('refuses args that are not a Standard Schema (a look-alike with only safeParse)', () => {
    const notSchema = { safeParse: () => ({ success: true }) } as unknown as z.ZodType;
    expect(() => new Gateway({ logger: silentLogger }).registerTool({ name: 'a', description: '', args: notSchema, run })).toThrow(/args must be a Standard Schema/);
  });

  it('publishes the JSON Schema of what a caller sends (input side of transforms and defaults)', () => {
    const gateway = new Gateway({ logger: silentLogger }).registerTool({
      name: 'page',
      description: 'paging',
      args: z.object({ limit: z.number().int().default(10), cursor: z.string().transform((s) => s.length).optional() }),
      run,
    });
    expect(gateway.tools.list()[0]?.args_schema).toMatchObject({
      type: 'object',
      properties: { limit: { type: 'integer', default: 10 }, cursor: { type: 'string' } },
    });
  });
});
