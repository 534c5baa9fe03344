import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller, ToolRegistry, type Role } from '../../src/index.js';
import { mayCallTool } from '../../src/http/public.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function callerOf(gateway: Gateway, username: string, role: Role) {
  await gateway.auth.createUser({ username, password: `${username}-password`, role }, { actor: systemCaller('test') });
  return gateway.auth.callerFor(username);
}

describe('tools limited to some roles (roles)', () => {
  it('refuses other roles with 403 before the approval gate, and says so to listings', async () => {
    const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
    gateways.push(gateway);
    gateway.registerTool({ name: 'ops.restart', description: 'r', args: z.object({}), roles: ['admin'], requiresApproval: true, run: () => 'ok' });
    gateway.registerTool({ name: 'up.read', description: 'r', inputSchema: { type: 'object' }, roles: ['agent', 'admin'], run: () => 'ok' });
    const agent = await callerOf(gateway, 'agent', 'agent');
    const admin = await callerOf(gateway, 'boss', 'admin');

    await expect(gateway.callTool({ tool: 'ops.restart', args: {} }, { caller: agent })).rejects.toMatchObject({ code: 'tool_not_allowed', status: 403 });
    expect(await gateway.approvals.list()).toHaveLength(0);
    await expect(gateway.callTool({ tool: 'ops.restart', args: {} }, { caller: admin })).resolves.toMatchObject({ status: 'pending' });
    await expect(gateway.callTool({ tool: 'up.read', args: {} }, { caller: agent })).resolves.toMatchObject({ status: 'executed' });

    const listing = gateway.tools.get('ops.restart')?.listing;
    expect(listing?.roles).toEqual(['admin']);
    expect(listing && mayCallTool(agent, listing)).toBe(false);
    expect(listing && mayCallTool(admin, listing)).toBe(true);
    // A name alone carries no roles: only the role and allow-list are checked.
    expect(mayCallTool(agent, 'ops.restart')).toBe(true);
  });

  it('refuses a roles list that names no known role', () => {
    const registry = new ToolRegistry();
    expect(() => registry.register({ name: 'x', description: 'x', args: z.object({}), roles: [], run: () => 'ok' })).toThrow(/roles/);
    expect(() => registry.register({ name: 'x', description: 'x', args: z.object({}), roles: ['root' as Role], run: () => 'ok' })).toThrow(/roles/);
    expect(registry.size).toBe(0);
  });
});
