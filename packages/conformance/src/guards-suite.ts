import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ApprovalView, AuditEntry } from '@agent-gateway/core';
import { USERS } from './conformance-gateway.js';
import { getJson, postJson, rawRequest } from './http-client.js';
import { login } from './sessions.js';
import { serveConformanceGateway } from './served-gateway.js';
import { expectError, type StartServer } from './suite.js';

/** Runbook section 5 and the pipeline's guards over HTTP: redaction, snapshots, kill switch, rate limits, content filter. */
export function describeGuardsConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (redaction and guards): ${name}`, () => {
    const served = serveConformanceGateway(start);
    const { url } = served;

    describe('redaction rules (runbook section 5)', () => {
      it('POST sets an origin\'s fields (normalised), GET ?origin= returns them to anyone', async () => {
        const set = await postJson(url('/tab/redaction-rules'), { origin: 'https://Bank.Example:443/', fields: ['password', 'card_number', 'card.cvv'] }, served.admin.token);
        expect(set.status, set.text).toBe(200);
        expect(set.json()).toEqual({ origin: 'https://bank.example', fields: ['password', 'card_number', 'card.cvv'] });
        const got = await getJson(url(`/tab/redaction-rules?origin=${encodeURIComponent('https://bank.example')}`));
        expect(got.json()).toEqual({ origin: 'https://bank.example', fields: ['password', 'card_number', 'card.cvv'] });
        // The runbook's curl sends the origin unencoded.
        expect((await getJson(url('/tab/redaction-rules?origin=https://bank.example'))).json()).toMatchObject({ fields: ['password', 'card_number', 'card.cvv'] });
      });

      it('an origin never set has an empty list, not a 404', async () => {
        expect((await getJson(url('/tab/redaction-rules?origin=https://nothing.example'))).json()).toEqual({ origin: 'https://nothing.example', fields: [] });
      });

      it('a value that is not an origin is a 400; setting needs an admin; listing all needs an admin', async () => {
        expectError(await postJson(url('/tab/redaction-rules'), { origin: 'bank.example', fields: ['x'] }, served.admin.token), 400, 'bad_request');
        expectError(await getJson(url('/tab/redaction-rules?origin=not-an-origin')), 400, 'bad_request');
        expectError(await postJson(url('/tab/redaction-rules'), { origin: 'https://a.example', fields: ['bad field!'] }, served.admin.token), 400, 'bad_request');
        expectError(await postJson(url('/tab/redaction-rules'), { origin: 'https://a.example', fields: ['x'] }, served.agent.token), 403, 'forbidden');
        expectError(await postJson(url('/tab/redaction-rules'), { origin: 'https://a.example', fields: ['x'] }), 401, 'unauthorized');
        expectError(await getJson(url('/tab/redaction-rules')), 401, 'unauthorized');
        expectError(await getJson(url('/tab/redaction-rules'), served.agent.token), 403, 'forbidden');
        expect((await getJson(url('/tab/redaction-rules'), served.admin.token)).json()).toMatchObject({ rules: [{ origin: 'https://bank.example' }] });
      });

      it('a shared tab snapshot is stored redacted, readable by agents, and audited as consent', async () => {
        const shared = await rawRequest(url('/tab/snapshot'), {
          method: 'PUT',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${served.admin.token}` },
          body: JSON.stringify({
            url: 'https://bank.example/transfer?from=1',
            title: 'Transfer',
            content: { form: { Password: 'hunter2', card: { cvv: '123', holder: 'Ann' }, card_number: '4111111111111111', amount: 10 } },
          }),
        });
        expect(shared.status, shared.text).toBe(200);
        const snapshot = (await getJson(url('/tab/snapshot'), served.agent.token)).json<{ origin: string; content: unknown }>();
        expect(snapshot).toMatchObject({
          origin: 'https://bank.example',
          content: { form: { Password: '[REDACTED]', card: { cvv: '[REDACTED]', holder: 'Ann' }, card_number: '[REDACTED]', amount: 10 } },
        });
        const consent = (await getJson(url('/admin/audit?event=tab_snapshot_shared'), served.admin.token)).json<AuditEntry[]>();
        expect(consent.at(-1)).toMatchObject({ actor: { user: USERS.admin.username }, details: { origin: 'https://bank.example' } });
        const file = await readFile(served.conformance.auditPath, 'utf8');
        expect(file).not.toContain('hunter2');
        expect(file).not.toContain('4111111111111111');
        expectError(
          await rawRequest(url('/tab/snapshot'), {
            method: 'PUT',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${served.agent.token}` },
            body: JSON.stringify({ origin: 'https://bank.example', title: 't', content: 'x' }),
          }),
          403,
          'forbidden',
        );
      });

      it('a tool call that carries an origin is audited, and shown to approvers, with that origin\'s fields redacted', async () => {
        const fields = { card_number: '5500005555555559', note: 'pay rent' };
        expect((await postJson(url('/tools/call'), { tool: 'form.fill', args: { fields }, origin: 'https://bank.example/pay' }, served.agent.token)).status).toBe(200);
        const held = await postJson(url('/tools/call'), { tool: 'form.fill', args: { fields: { ...fields, hold: true } }, origin: 'https://bank.example' }, served.agent.token);
        expect(held.status).toBe(202);
        const id = held.json<{ approval_id: string }>().approval_id;
        const view = (await getJson(url(`/approvals/${id}`), served.admin.token)).json<ApprovalView>();
        expect(view.args).toEqual({ fields: { card_number: '[REDACTED]', note: 'pay rent', hold: true } });
        const calls = (await getJson(url('/admin/audit?event=tool_call&tail=2'), served.admin.token)).json<AuditEntry[]>();
        expect(calls.map((e) => e.details.args)).toEqual([
          { fields: { card_number: '[REDACTED]', note: 'pay rent' } },
          { fields: { card_number: '[REDACTED]', note: 'pay rent', hold: true } },
        ]);
        expect(await readFile(served.conformance.auditPath, 'utf8')).not.toContain('5500005555555559');
      });
    });

    describe('kill switch', () => {
      it('while on, every tool call is a 423 and audited; the metric shows it; off again, calls run', async () => {
        const on = await postJson(url('/admin/kill-switch'), { enabled: true, reason: 'suspicious calls' }, served.admin.token);
        expect(on.json()).toMatchObject({ enabled: true, reason: 'suspicious calls', changed_by: USERS.admin.username });
        try {
          const refusedAgent = await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'x' } }, served.agent.token);
          expectError(refusedAgent, 423, 'kill_switch_on');
          expect(refusedAgent.text).not.toContain('suspicious calls');
          const refusedAdmin = await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'x' } }, served.admin.token);
          expect(refusedAdmin.json()).toMatchObject({ error: { code: 'kill_switch_on', details: { reason: 'suspicious calls' } } });
          expect((await getJson(url('/admin/kill-switch'), served.admin.token)).json()).toMatchObject({ enabled: true });
          expect(await (await fetch(url('/metrics'))).text()).toMatch(/^kill_switch_enabled 1$/m);
          const refused = (await getJson(url('/admin/audit?event=tool_call&tail=1'), served.admin.token)).json<AuditEntry[]>();
          expect(refused[0]?.details).toMatchObject({ outcome: 'refused', status: 423, code: 'kill_switch_on' });
          expect((await getJson(url('/admin/audit?event=kill_switch&tail=1'), served.admin.token)).json<AuditEntry[]>()[0]).toMatchObject({
            details: { enabled: true, reason: 'suspicious calls' },
          });
          expectError(await postJson(url('/admin/kill-switch'), { enabled: false }, served.agent.token), 403, 'forbidden');
        } finally {
          await postJson(url('/admin/kill-switch'), { enabled: false }, served.admin.token);
        }
        expect((await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'x' } }, served.agent.token)).status).toBe(200);
      });
    });

    describe('rate limits', () => {
      it('past the bucket, 429 with Retry-After', async () => {
        const session = await login(served.base, USERS.agent);
        expect((await postJson(url('/tools/call'), { tool: 'limited', args: {} }, session.token)).status).toBe(200);
        expect((await postJson(url('/tools/call'), { tool: 'limited', args: {} }, session.token)).status).toBe(200);
        const limited = await postJson(url('/tools/call'), { tool: 'limited', args: {} }, session.token);
        expectError(limited, 429, 'rate_limited');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      });
    });

    describe('scheduled tasks', () => {
      it('admins create, list, run, disable and delete tasks; bad schedules are 400; agents are refused', async () => {
        const task = { name: 'ping-echo', tool: 'echo', args: { text: 'scheduled' }, every: '1h', runAs: USERS.agent.username };
        const created = await postJson(url('/admin/schedule'), task, served.admin.token);
        expect(created.status, created.text).toBe(200);
        expect(created.json()).toMatchObject({ name: 'ping-echo', enabled: true, runs: 0 });
        expectError(await postJson(url('/admin/schedule'), { ...task, every: 'sometimes' }, served.admin.token), 400, 'bad_request');
        expectError(await postJson(url('/admin/schedule'), task, served.agent.token), 403, 'forbidden');
        const run = await postJson(url('/admin/schedule/ping-echo/run'), {}, served.admin.token);
        expect(run.json()).toMatchObject({ outcome: 'ok', result: { text: 'scheduled' } });
        expect((await postJson(url('/admin/schedule/ping-echo/disable'), {}, served.admin.token)).json()).toMatchObject({ enabled: false, next_run_at: null });
        expect((await getJson(url('/admin/schedule'), served.admin.token)).json()).toMatchObject({ tasks: [{ name: 'ping-echo', runs: 1, enabled: false }] });
        expect((await rawRequest(url('/admin/schedule/ping-echo'), { method: 'DELETE', headers: { authorization: `Bearer ${served.admin.token}` } })).status).toBe(200);
        expectError(await postJson(url('/admin/schedule/ping-echo/run'), {}, served.admin.token), 404, 'not_found');
      });
    });

    describe('content filter', () => {
      it('admin adds a rule, a matching call is a 403 naming it (audited), the rule can be removed', async () => {
        const added = await postJson(url('/admin/content-filter'), { kind: 'literal', pattern: 'rm -rf', description: 'no wiping' }, served.admin.token);
        expect(added.status, added.text).toBe(201);
        const rule = added.json<{ rule: { id: string } }>().rule;
        const blocked = expectError(await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'please rm -rf /' } }, served.agent.token), 403, 'content_blocked');
        expect(blocked.error).toMatchObject({ details: { rule_id: rule.id } });
        expect((await getJson(url('/admin/audit?event=tool_call&tail=1'), served.admin.token)).json<AuditEntry[]>()[0]?.details).toMatchObject({ code: 'content_blocked' });
        expect((await getJson(url('/admin/content-filter'), served.admin.token)).json()).toMatchObject({ rules: [{ id: rule.id, pattern: 'rm -rf' }] });
        expectError(await postJson(url('/admin/content-filter'), { kind: 'regex', pattern: '(a+)+$' }, served.admin.token), 400, 'bad_request');
        const removed = await rawRequest(url(`/admin/content-filter/${rule.id}`), { method: 'DELETE', headers: { authorization: `Bearer ${served.admin.token}` } });
        expect(removed.status).toBe(200);
        expect((await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'please rm -rf /' } }, served.agent.token)).status).toBe(200);
        expectError(await rawRequest(url(`/admin/content-filter/${rule.id}`), { method: 'DELETE', headers: { authorization: `Bearer ${served.admin.token}` } }), 404, 'not_found');
      });
    });
  });
}
