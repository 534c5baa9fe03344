import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startExample } from './runbook-smoke.js';

const POLICIES = `
@id("allow-by-default") permit (principal, action, resource);
@id("no-shouting") forbid (principal, action == Action::"echo", resource) when { context.args.text like "*!*" };
`;

/**
 * AGENT_GATEWAY_POLICY_FILE as the runbook uses it: the example server loads the Cedar file and its
 * decisions reach the caller; a file that does not validate stops the start with its reason.
 */
export function describePolicySmoke(framework: string, exampleDir: string): void {
  const environment = (workDir: string, file: string) => ({
    AGENT_GATEWAY_ADMIN_PASS: 'x',
    AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
    AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
    AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
    SCRATCH_DIR: join(workDir, 'scratch'),
    AGENT_GATEWAY_POLICY_FILE: file,
  });

  it(`examples/${framework}-server with AGENT_GATEWAY_POLICY_FILE: a call the policy forbids gets 403 policy_denied naming it`, async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'policy-example-'));
    const file = join(workDir, 'policies.cedar');
    await writeFile(file, POLICIES);
    const server = startExample(exampleDir, environment(workDir, file));
    try {
      const base = await server.url;
      const post = async (path: string, body: unknown, token?: string) => {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      const { token } = (await post('/admin/login', { username: 'admin', password: 'x' })).body as { token: string };
      expect(await post('/tools/call', { tool: 'echo', args: { text: 'hello' } }, token)).toMatchObject({ status: 200 });
      expect(await post('/tools/call', { tool: 'echo', args: { text: 'hello!' } }, token)).toMatchObject({
        status: 403,
        body: { error: { code: 'policy_denied', details: { policies: ['no-shouting'] } } },
      });
      const check = await post('/admin/policies/check', { caller: { id: 'bot', role: 'agent' }, tool: 'echo', args: { text: 'hi!' } }, token);
      expect(check).toMatchObject({ status: 200, body: { decision: 'deny', policies: ['no-shouting'] } });
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it(`examples/${framework}-server with a policy file that does not validate: does not start, and says why`, async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'policy-example-'));
    const file = join(workDir, 'policies.cedar');
    await writeFile(file, '@id("typo") forbid (principal, action == Action::"echo", resource) when { context.args.txt == "x" };');
    const server = startExample(exampleDir, environment(workDir, file));
    try {
      const { code, stderr } = await server.exit;
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/typo.*txt/);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
}
