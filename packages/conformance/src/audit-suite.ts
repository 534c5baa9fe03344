import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog, type AuditCheckpoint, type AuditEntry, type VerifyReport } from '@agent-gateway/core';
import { createConformanceGateway, USERS, type ConformanceGateway } from './conformance-gateway.js';
import { getJson, postJson } from './http-client.js';
import { login, type Session } from './sessions.js';
import { expectError, type RunningServer, type StartServer } from './suite.js';

/** The audit routes and what reaches the log, over HTTP (runbook sections 3, 6 and 8). */
export function describeAuditConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (audit): ${name}`, () => {
    let conformance: ConformanceGateway;
    let server: RunningServer;
    let base: string;
    let admin: Session;
    let agent: Session;
    const url = (path: string): string => `${base}${path}`;
    const audit = async (query = '', session = admin) => {
      const response = await getJson(url(`/admin/audit${query}`), session.token);
      expect(response.status, response.text).toBe(200);
      return response.json<AuditEntry[]>();
    };

    beforeAll(async () => {
      conformance = await createConformanceGateway();
      server = await start(conformance.gateway);
      base = server.baseUrl;
      await postJson(url('/admin/login'), { username: USERS.agent.username, password: 'wrong-password-hunter2' });
      admin = await login(base, USERS.admin);
      agent = await login(base, USERS.agent);
      const mathAgent = await login(base, USERS.mathAgent);
      await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'audited' } }, agent.token);
      await postJson(url('/tools/call'), { tool: 'echo', args: { text: 1 } }, agent.token);
      await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'not allowed' } }, mathAgent.token);
      await postJson(url('/tools/call'), { tool: 'fail.plain', args: {} }, agent.token);
      await postJson(url('/tools/call'), { tool: 'no.such.tool', args: {} }, agent.token);
    });
    afterAll(async () => {
      await server.close();
      await conformance.dispose();
    });

    it('GET /admin/audit returns the entries as a JSON array, oldest first', async () => {
      const entries = await audit();
      expect(Array.isArray(entries)).toBe(true);
      const seqs = entries.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(entries[0]).toMatchObject({ seq: 1, prev: '0'.repeat(64) });
    });

    it('every tool call is there with the caller, its token id and its outcome: ok, refused, failed', async () => {
      const calls = await audit('?event=tool_call');
      expect(calls.every((e) => e.event === 'tool_call')).toBe(true);
      const agentJti = JSON.parse(Buffer.from(agent.token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string };
      expect(calls.map((e) => [e.details.tool, e.details.outcome, e.details.status])).toEqual([
        ['echo', 'ok', 200],
        ['echo', 'refused', 422],
        ['echo', 'refused', 403],
        ['fail.plain', 'failed', 500],
        ['no.such.tool', 'refused', 404],
      ]);
      expect(calls[0]).toMatchObject({
        actor: { type: 'user', user: USERS.agent.username, role: 'agent', jti: agentJti.jti },
        details: { args: { text: 'audited' }, call_id: expect.any(String) },
      });
      expect(calls[2]).toMatchObject({ actor: { user: USERS.mathAgent.username }, details: { code: 'tool_not_allowed' } });
    });

    it('logins and failed logins are there, without the password', async () => {
      const failed = await audit('?event=login_failed');
      expect(failed.at(-1)).toMatchObject({ actor: { type: 'anonymous' }, details: { username: USERS.agent.username, reason: 'invalid_credentials' } });
      expect((await audit('?event=login')).map((e) => (e.actor as { user?: string }).user)).toEqual(
        expect.arrayContaining([USERS.admin.username, USERS.agent.username]),
      );
      const file = await readFile(conformance.auditPath, 'utf8');
      for (const secret of ['wrong-password-hunter2', USERS.agent.password, admin.token, agent.refreshToken]) {
        expect(file).not.toContain(secret);
      }
    });

    it('?tail=N limits the count; a tail outside 1..10000 or not a number is a 400', async () => {
      expect(await audit('?tail=2')).toHaveLength(2);
      for (const bad of ['0', '10001', 'abc', '-1', '1.5']) {
        expectError(await getJson(url(`/admin/audit?tail=${bad}`), admin.token), 400, 'bad_request');
      }
      expectError(await getJson(url('/admin/audit?colour=red'), admin.token), 400, 'bad_request');
    });

    it('approvers may read the audit log; agents and anonymous callers may not', async () => {
      const approver = await login(base, USERS.approver);
      expect((await audit('?tail=1', approver)).length).toBe(1);
      expectError(await getJson(url('/admin/audit'), agent.token), 403, 'forbidden');
      expectError(await getJson(url('/admin/audit')), 401, 'unauthorized');
    });

    it('GET /admin/audit/verify reports an intact chain', async () => {
      const response = await getJson(url('/admin/audit/verify'), admin.token);
      expect(response.status).toBe(200);
      const report = response.json<VerifyReport>();
      expect(report).toMatchObject({ ok: true });
      expect(report.entries).toBeGreaterThan(5);
    });

    it('GET /admin/audit/checkpoint publishes the public key and the signed head; verifyAuditLog accepts both', async () => {
      const response = await getJson(url('/admin/audit/checkpoint'), admin.token);
      expect(response.status, response.text).toBe(200);
      const { public_key, checkpoint } = response.json<{ public_key: string; checkpoint: AuditCheckpoint }>();
      expect(public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(checkpoint).toMatchObject({ type: 'agent-gateway.audit-checkpoint', seq: expect.any(Number) });
      await expect(verifyAuditLog(conformance.auditPath, { publicKey: public_key, checkpoint })).resolves.toMatchObject({ ok: true });
      expectError(await getJson(url('/admin/audit/checkpoint'), agent.token), 403, 'forbidden');
    });

    it('POST /admin/audit/rotate starts a new file that keeps the chain verifiable', async () => {
      const before = (await audit('?tail=1'))[0];
      const rotated = await postJson(url('/admin/audit/rotate'), {}, admin.token);
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.json()).toMatchObject({ rotated_to: expect.stringMatching(/^audit\.log\./) });
      const [first] = await audit();
      expect(first).toMatchObject({ event: 'log_rotated', prev: before?.hash, seq: (before?.seq ?? 0) + 1 });
      const report = (await getJson(url('/admin/audit/verify'), admin.token)).json<VerifyReport>();
      expect(report).toMatchObject({ ok: true });
      expect(report.files).toHaveLength(2);
      expectError(await postJson(url('/admin/audit/rotate'), {}, agent.token), 403, 'forbidden');
    });
  });
}
