import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvSecretStore, Gateway, systemCaller, type Logger, type ToolContext, type ToolProgress } from '../../src/index.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

/** A gateway whose warnings are kept, with tools that report progress. */
function progressGateway() {
  const warnings: Array<{ message: string; fields: unknown }> = [];
  const logger: Logger = { info() {}, error() {}, warn: (message, fields) => warnings.push({ message, fields }) };
  const gateway = new Gateway({ logger, secrets: new EnvSecretStore({ OPENAI_API_KEY: 'sk-progress-secret' }), auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateways.push(gateway);
  let leftBehind: ToolContext | undefined;
  gateway.registerTool({
    name: 'steps',
    description: 'three steps',
    args: z.object({}),
    secrets: ['openai'],
    run: async (_args, context) => {
      const key = await context.secrets.get('openai');
      for (let step = 1; step <= 3; step += 1) context.reportProgress({ progress: step, total: 3, message: `step ${step} with ${key}` });
      leftBehind = context;
      return 'done';
    },
  });
  gateway.registerTool({
    name: 'sloppy',
    description: 'reports what a plain JavaScript tool might',
    args: z.object({}),
    run: (_args, context) => {
      const report = context.reportProgress as (value: unknown) => void;
      report({ progress: Number.NaN });
      report(null);
      report('half');
      report({ progress: 1, total: Number.POSITIVE_INFINITY, message: 7, extra: 'dropped' });
      return 'done';
    },
  });
  gateway.registerTool({ name: 'held', description: 'held', args: z.object({}), requiresApproval: true, run: (_args, context) => (context.reportProgress({ progress: 1 }), 'ran') });
  return { gateway, warnings, leftBehind: () => leftBehind };
}

describe("a tool's progress reports", () => {
  it('reach the caller’s onProgress in order, checked, their message scrubbed of the secrets the tool read', async () => {
    const { gateway } = progressGateway();
    const heard: ToolProgress[] = [];
    const outcome = await gateway.callTool({ tool: 'steps', args: {} }, { caller: systemCaller('t'), onProgress: (progress) => heard.push(progress) });
    expect(outcome).toMatchObject({ status: 'executed', result: 'done' });
    expect(heard).toEqual([1, 2, 3].map((step) => ({ progress: step, total: 3, message: `step ${step} with [REDACTED]` })));
  });

  it('are dropped when malformed, and keep only progress, total and message', async () => {
    const { gateway } = progressGateway();
    const heard: unknown[] = [];
    await gateway.callTool({ tool: 'sloppy', args: {} }, { caller: systemCaller('t'), onProgress: (progress) => heard.push(progress) });
    expect(heard).toEqual([{ progress: 1 }]);
  });

  it('are a no-op when nobody listens', async () => {
    const { gateway } = progressGateway();
    expect(await gateway.callTool({ tool: 'steps', args: {} }, { caller: systemCaller('t') })).toMatchObject({ status: 'executed', result: 'done' });
  });

  it('never fail the call when the listener throws or rejects: it is logged, and the next report still arrives', async () => {
    const { gateway, warnings } = progressGateway();
    const heard: number[] = [];
    const throwing = (progress: ToolProgress) => {
      heard.push(progress.progress);
      if (progress.progress === 1) throw new Error('listener broke');
    };
    expect(await gateway.callTool({ tool: 'steps', args: {} }, { caller: systemCaller('t'), onProgress: throwing })).toMatchObject({ status: 'executed', result: 'done' });
    expect(heard).toEqual([1, 2, 3]);
    const rejecting = async () => {
      throw new Error('async listener broke');
    };
    expect(await gateway.callTool({ tool: 'steps', args: {} }, { caller: systemCaller('t'), onProgress: rejecting })).toMatchObject({ status: 'executed' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((warning) => warning.message)).toEqual(Array(4).fill('a progress listener failed'));
    expect(warnings[0]?.fields).toMatchObject({ tool: 'steps', error: 'listener broke' });
    expect(warnings[1]?.fields).toMatchObject({ tool: 'steps', error: 'async listener broke' });
  });

  it('made after the run has settled reach nobody', async () => {
    const { gateway, leftBehind } = progressGateway();
    const heard: ToolProgress[] = [];
    await gateway.callTool({ tool: 'steps', args: {} }, { caller: systemCaller('t'), onProgress: (progress) => heard.push(progress) });
    leftBehind()?.reportProgress({ progress: 4 });
    expect(heard.map((progress) => progress.progress)).toEqual([1, 2, 3]);
  });

  it('of a run held for approval do not reach the caller who asked (its call has returned)', async () => {
    const { gateway } = progressGateway();
    const heard: ToolProgress[] = [];
    const outcome = await gateway.callTool({ tool: 'held', args: {} }, { caller: systemCaller('t'), onProgress: (progress) => heard.push(progress) });
    expect(outcome.status).toBe('pending');
    if (outcome.status !== 'pending') return;
    expect((await gateway.approvals.approve(outcome.approvalId, systemCaller('approver'))).state).toBe('executed');
    expect(heard).toEqual([]);
  });
});
