import { describe, expect, it } from 'vitest';
import { alice, EXAMPLE_POLICIES, policyGateway, rejection } from './support.js';

/** Two sets whose every decision names two policies of one set: a mix would show a half-loaded set. */
const SET = (name: string) => `
@id("${name}-permit-1") permit (principal, action, resource);
@id("${name}-permit-2") permit (principal, action == Action::"file.write", resource);
@id("${name}-forbid-1") forbid (principal, action == Action::"file.write", resource) when { context.args.path like "/x/*" };
@id("${name}-forbid-2") forbid (principal, action, resource) when { context.args has path && context.args.path like "/x/*" };
`;

describe('loading policies', () => {
  it('refuses a set that does not validate, naming the policy and the problem; the previous set keeps serving', async () => {
    const { gateway, engine } = await policyGateway({ text: EXAMPLE_POLICIES });
    await gateway.policies.start();
    const before = gateway.policies.current;
    const invalid: [string, RegExp][] = [
      ['@id("p") permit (principal, action == Action::"file.write", resource) when { context.args.size > 1 };', /p: .*size/],
      ['@id("q") permit (principal, action == Action::"no.such.tool", resource);', /no\.such\.tool/],
      ['permit (principal, action, resource) when { principal.role == 1 };', /policy0/],
      ['@id("r") @approvers("two") permit (principal, action, resource);', /r: @approvers must be a whole number/],
      ['@id("s") @approvers("2") forbid (principal, action, resource);', /s: @approvers belongs on a permit/],
      ['@id("t") permit (principal, action, resource); @id("t") permit (principal, action, resource);', /t: the @id is used twice/],
      ['permit (principal, action, resource', /does not parse/],
    ];
    for (const [text, problem] of invalid) {
      const refused = await rejection(engine.loadText(text));
      expect(refused).toMatchObject({ code: 'invalid_policy', status: 422 });
      expect(refused.message).toMatch(problem);
      expect(gateway.policies.current).toBe(before);
      // The example set still decides.
      expect(await rejection(gateway.callTool({ tool: 'file.write', args: { path: '/etc/x', content: '' } }, { caller: alice }))).toMatchObject({ code: 'policy_denied' });
    }
  });

  it('a first set that does not validate refuses every call (503 policy_unavailable) until a reload succeeds', async () => {
    const { gateway } = await policyGateway({ text: 'permit (principal, action == Action::"nope", resource);' });
    expect(await rejection(gateway.callTool({ tool: 'file.write', args: { path: '/tmp/agent/a', content: '' } }, { caller: alice }))).toMatchObject({
      code: 'policy_unavailable',
      status: 503,
    });
    await expect(gateway.policies.start()).rejects.toMatchObject({ code: 'invalid_policy' });
  });

  it('a first set that names a tool registered later (an MCP upstream still starting) loads once the tool is there', async () => {
    const { gateway } = await policyGateway({ text: '@id("late") permit (principal, action == Action::"late.tool", resource) when { context.args.n > 1 };' });
    await expect(gateway.policies.start()).rejects.toMatchObject({ code: 'invalid_policy' });
    expect(await rejection(gateway.callTool({ tool: 'fs.read_file', args: { path: '/a' } }, { caller: alice }))).toMatchObject({ code: 'policy_unavailable' });
    gateway.registerTool({ name: 'late.tool', description: 'arrives late', inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }, run: async () => 'ran' });
    expect(await gateway.callTool({ tool: 'late.tool', args: { n: 2 } }, { caller: alice })).toMatchObject({ status: 'executed' });
    expect(await rejection(gateway.callTool({ tool: 'late.tool', args: { n: 1 } }, { caller: alice }))).toMatchObject({ code: 'policy_denied' });
  });

  it('under load, every call is decided by one whole set: never a mix of two, across 40 reloads (some refused)', async () => {
    const texts = [SET('a'), SET('b'), 'not cedar at all', SET('c')];
    let next = 0;
    const { gateway, engine } = await policyGateway({ text: SET('a') });
    await gateway.policies.start();
    const seen: string[][] = [];
    let stop = false;
    const load = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; !stop; i += 1) {
        const path = (i + worker) % 2 === 0 ? '/x/1' : '/ok/1';
        try {
          await gateway.callTool({ tool: 'file.write', args: { path, content: '' } }, { caller: alice });
          seen.push(['allowed']);
        } catch (error) {
          seen.push([...((error as { details?: { policies?: string[] } }).details?.policies ?? ['none'])]);
        }
      }
    });
    const reloads = (async () => {
      for (let round = 0; round < 40; round += 1) {
        const text = texts[next++ % texts.length]!;
        await engine.loadText(text).catch(() => undefined);
        // One call of its own after each reload, so that every set that loaded is seen serving.
        await gateway.callTool({ tool: 'file.write', args: { path: '/x/probe', content: '' } }, { caller: alice }).catch((error: unknown) => {
          seen.push([...((error as { details?: { policies?: string[] } }).details?.policies ?? ['none'])]);
        });
      }
      stop = true;
    })();
    await Promise.all([reloads, ...load]);
    const denials = seen.filter((ids) => ids[0] !== 'allowed');
    expect(denials.length).toBeGreaterThan(0);
    for (const ids of denials) {
      expect(ids).toHaveLength(2);
      const sets = new Set(ids.map((id) => id.split('-')[0]));
      expect(sets.size).toBe(1);
    }
    // Every set that validated served at some point.
    expect(new Set(denials.map((ids) => ids[0]!.split('-')[0]))).toEqual(new Set(['a', 'b', 'c']));
  });
});

